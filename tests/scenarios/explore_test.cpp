// explore(): seeded worlds within and beyond each algorithm's assumptions,
// shards, jobs, and shrinking to a locally minimal scenario.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>

#include "locklab/scenarios/envelope.hpp"
#include "locklab/scenarios/explore.hpp"
#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;

bool violates(const Scenario& s, std::string_view checker) {
  const RunReport r = run_scenario(s);
  return r.verdict(checker)->kind == properties::Verdict::Kind::violation;
}

// Within its assumptions no algorithm may ever be caught: any finding here
// is a bug in the implementation (or in the envelope). A fixed seed list,
// bounded for CI; `locklab explore --mode within --seeds 100000` goes further.
class WithinAssumptions : public ::testing::TestWithParam<Algorithm> {};

TEST_P(WithinAssumptions, NoCheckerFindsAViolationInTwoHundredSeeds) {
  const ExploreSummary s = explore({.generator = {.algorithm = GetParam(), .mode = Mode::within},
                                    .first_seed = 1000, .seeds = 200, .jobs = 2, .shrink = false});
  EXPECT_EQ(s.worlds_run.size(), 200u);
  for (const Finding& f : s.findings) ADD_FAILURE() << "seed " << f.seed << ": " << f.summary;
}

INSTANTIATE_TEST_SUITE_P(Algorithms, WithinAssumptions,
                         ::testing::Values(Algorithm::naive, Algorithm::naive_setnx, Algorithm::single_node,
                                           Algorithm::redlock),
                         [](const auto& param_info) { return std::string(name_of(param_info.param)); });

// The same, with RapidCheck choosing the seeds (fixed in CI by RC_PARAMS).
RC_GTEST_PROP(WithinAssumptionsProperty, AnySeedAnyAlgorithmIsSafe, (std::uint64_t seed)) {
  const Algorithm a = *rc::gen::element(Algorithm::naive, Algorithm::single_node, Algorithm::redlock);
  const Scenario s = generate_scenario(seed, {.algorithm = a, .mode = Mode::within, .faults = 10,
                                              .duration = 3s});
  const RunReport r = run_scenario(s);
  for (const properties::Verdict& v : r.verdicts) {
    RC_ASSERT(v.kind != properties::Verdict::Kind::violation);
  }
}

// Beyond them the classic failures turn up: client pauses and message
// delays alone break the unfenced single-node lock.
TEST(BeyondAssumptions, PausesAndDelaysBreakTheUnfencedSingleNodeLock) {
  const ExploreSummary s = explore(
      {.generator = {.algorithm = Algorithm::single_node, .mode = Mode::beyond,
                     .classes = {FaultClass::client_pause, FaultClass::delay}, .fencing = false},
       .seeds = 40, .shrink = false});
  EXPECT_FALSE(s.findings.empty());
}

TEST(Shrink, ResultIsLocallyMinimalAndStillFails) {
  const ExploreSummary s = explore(
      {.generator = {.algorithm = Algorithm::single_node, .mode = Mode::beyond,
                     .classes = {FaultClass::client_pause, FaultClass::delay}, .fencing = false},
       .seeds = 40, .shrink = true});
  ASSERT_FALSE(s.findings.empty());
  const Finding& f = s.findings.front();
  ASSERT_TRUE(f.shrunk.has_value());
  const ShrinkResult& r = *f.shrunk;
  EXPECT_TRUE(r.minimal);
  EXPECT_LE(r.scenario.faults.size(), f.original.faults.size());
  EXPECT_LE(r.scenario.clients.size(), f.original.clients.size());
  EXPECT_EQ(r.scenario.seed, f.original.seed);
  ASSERT_TRUE(violates(r.scenario, f.checker));
  // Checked here independently of the shrinker: no single fault and no
  // single client can go.
  for (std::size_t i = 0; i < r.scenario.faults.size(); ++i) {
    Scenario c = r.scenario;
    c.faults.erase(c.faults.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(violates(c, f.checker)) << "fault " << i << " could still be removed";
  }
  for (std::size_t i = 0; r.scenario.clients.size() > 1 && i < r.scenario.clients.size(); ++i) {
    EXPECT_FALSE(violates(without_client(r.scenario, i), f.checker)) << "client " << i << " could go";
  }
}

// A counterexample written to a file and loaded again is the same scenario,
// fails the same way, and replays the recorded trace hash.
TEST(Counterexample, WrittenAndLoadedAgainFailsTheSameWayWithTheSameTraceHash) {
  const ExploreSummary s = explore(
      {.generator = {.algorithm = Algorithm::redlock, .mode = Mode::beyond}, .seeds = 12, .shrink = true});
  ASSERT_FALSE(s.findings.empty());
  for (const Finding& f : s.findings) {
    const Scenario written = counterexample_of(f, "beyond");
    ASSERT_TRUE(written.trace_hash.has_value());
    EXPECT_EQ(written.expect.at(f.checker), properties::Verdict::Kind::violation);
    const std::filesystem::path file =
        std::filesystem::path(testing::TempDir()) / ("counterexample-" + std::to_string(f.seed) + ".toml");
    std::ofstream(file) << to_toml(written);
    const Scenario loaded = load_scenario(file);
    EXPECT_EQ(loaded, written) << file;
    const RunReport replay = run_scenario(loaded);
    EXPECT_EQ(replay.trace_hash, *written.trace_hash) << file;
    EXPECT_EQ(replay.verdict(f.checker)->kind, properties::Verdict::Kind::violation);
    EXPECT_TRUE(expectation_mismatches(loaded, replay).empty());
  }
}

TEST(Shrink, WithoutClientRenumbersLaterProcessesAndDropsItsFaults) {
  Scenario s;
  s.cluster.masters.push_back({.name = "redis-0"});
  for (const char* n : {"a", "b", "c"}) s.clients.push_back({.name = n});
  const sim::ProcessId a = client_id(s, 0), b = client_id(s, 1), c = client_id(s, 2);
  s.faults = {{sim::true_time(1ms), sim::ProcessPause{b}},
              {sim::true_time(2ms), sim::ProcessPause{c}},
              {sim::true_time(3ms), sim::LinkPartition{{a, b}, {master_id(s, 0)}}},
              {sim::true_time(4ms), sim::MessageDelay{b, master_id(s, 0), 5ms, 1}}};
  const Scenario t = without_client(s, 1);
  ASSERT_EQ(t.clients.size(), 2u);
  EXPECT_EQ(t.clients[1].name, "c");
  ASSERT_EQ(t.faults.size(), 2u);
  EXPECT_EQ(t.faults[0].action, sim::FaultAction{sim::ProcessPause{b}});  // c took b's number
  EXPECT_EQ(t.faults[1].action, (sim::FaultAction{sim::LinkPartition{{a}, {master_id(s, 0)}}}));
  EXPECT_TRUE(validate(t).empty());
}

// Seed 68 of this exploration draws a world whose single client is granted
// the key and releases it in the same instant (an empty belief): that grant
// is progress, and no fault is needed for the world to be fine.
TEST(Explore, AGrantReleasedTheInstantItWasMadeIsNoLivenessFinding) {
  const ExploreSummary s = explore(
      {.generator = {.algorithm = Algorithm::single_node, .mode = Mode::beyond,
                     .classes = {FaultClass::failover}, .fencing = false},
       .first_seed = 68, .seeds = 1});
  EXPECT_EQ(s.worlds_run, (std::vector<std::uint64_t>{68}));
  for (const Finding& f : s.findings) ADD_FAILURE() << "seed " << f.seed << ": " << f.summary;
}

// A violation in a world within the assumptions with no fault and no
// failover left is ours to fix: internal. With a fault, or beyond the
// assumptions, it is a result, by its checker's kind.
TEST(Explore, AViolationWithinTheAssumptionsAndWithoutFaultsIsInternal) {
  RunReport report;
  report.run.status = sim::RunStatus::reached_time;
  report.verdicts = {{.kind = properties::Verdict::Kind::ok, .checker = "mutual_exclusion"},
                     {.kind = properties::Verdict::Kind::violation, .checker = "liveness"}};
  Scenario quiet;
  ASSERT_TRUE(is_within(quiet, envelope_for(quiet, Mode::within)));
  Scenario faulty;
  faulty.faults.push_back({sim::true_time(1s), sim::ProcessPause{sim::ProcessId{0}}});
  Scenario failover;
  failover.failovers.push_back({.at = sim::true_time(1s), .master = "redis-0"});
  Scenario drifting;  // beyond the assumptions with no fault at all: a clock far off
  drifting.clients.push_back({.name = "c0", .clock = {.drift_ppm = 500'000}});
  ASSERT_FALSE(is_within(drifting, envelope_for(drifting, Mode::within)));
  EXPECT_EQ(finding_kind(report, quiet), FindingKind::internal);
  EXPECT_EQ(finding_kind(report, faulty), FindingKind::liveness);
  EXPECT_EQ(finding_kind(report, failover), FindingKind::liveness);
  EXPECT_EQ(finding_kind(report, drifting), FindingKind::liveness);

  report.verdicts[0].kind = properties::Verdict::Kind::violation;
  EXPECT_EQ(finding_kind(report, faulty), FindingKind::safety);
  report.run.status = sim::RunStatus::failed;
  EXPECT_EQ(finding_kind(report, quiet), FindingKind::world_failed);
  report.run.status = sim::RunStatus::reached_time;
  for (properties::Verdict& v : report.verdicts) v.kind = properties::Verdict::Kind::ok;
  EXPECT_EQ(finding_kind(report, quiet), std::nullopt);
}

// A world that runs out of its event budget is a finding of its own kind,
// with its seed, never shrunk, never dropped; the explorer goes on.
TEST(Explore, AWorldOutOfBudgetIsAWorldFailedFinding) {
  const ExploreSummary s = explore({.generator = {.algorithm = Algorithm::redlock, .mode = Mode::within},
                                    .first_seed = 5, .seeds = 3, .max_events = 300});
  EXPECT_EQ(s.worlds_run, (std::vector<std::uint64_t>{5, 6, 7}));
  ASSERT_EQ(s.findings.size(), 3u);
  for (const Finding& f : s.findings) {
    EXPECT_EQ(f.kind, FindingKind::world_failed) << f.seed;
    EXPECT_FALSE(f.shrunk.has_value());
    EXPECT_NE(f.summary.find("budget_exhausted"), std::string::npos) << f.summary;
  }
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["findings"][1]["seed"], 6);
  EXPECT_EQ(j["findings"][1]["kind"], "world_failed");
  EXPECT_EQ(j["kinds"]["world_failed"], 3);
  EXPECT_EQ(j["kinds"]["safety"], 0);
}

// Each finding's kind is in the summary, and merge counts the kinds anew.
TEST(Explore, SummaryNamesEachFindingsKind) {
  const ExploreSummary s = explore(
      {.generator = {.algorithm = Algorithm::single_node, .mode = Mode::beyond,
                     .classes = {FaultClass::client_pause, FaultClass::delay}, .fencing = false},
       .seeds = 10, .shrink = false});
  ASSERT_FALSE(s.findings.empty());
  const nlohmann::json j = to_json(s);
  int safety = 0, liveness = 0;
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    const Finding& f = s.findings[i];
    const bool any_safety = std::any_of(f.violated.begin(), f.violated.end(), is_safety_checker);
    EXPECT_EQ(f.kind, any_safety ? FindingKind::safety : FindingKind::liveness) << f.seed;
    EXPECT_EQ(j["findings"][i]["kind"], name_of(f.kind));
    (any_safety ? safety : liveness) += 1;
  }
  EXPECT_EQ(j["kinds"]["safety"], safety);
  EXPECT_EQ(j["kinds"]["liveness"], liveness);
  EXPECT_EQ(merge({j})["kinds"], j["kinds"]);
}

ExploreOptions beyond_redlock(std::uint64_t seeds) {
  return {.generator = {.algorithm = Algorithm::redlock, .mode = Mode::beyond}, .seeds = seeds, .shrink = false};
}

TEST(Explore, OneJobAndTwoJobsFindTheSameFailingSeeds) {
  ExploreOptions o = beyond_redlock(60);
  const ExploreSummary one = explore(o);
  o.jobs = 2;
  const ExploreSummary two = explore(o);
  EXPECT_FALSE(one.findings.empty());
  EXPECT_EQ(one.failing_seeds(), two.failing_seeds());
  EXPECT_EQ(to_json(one), to_json(two));
}

TEST(Explore, ShardsMergedEqualTheUnshardedRun) {
  ExploreOptions o = beyond_redlock(61);
  const nlohmann::json whole = to_json(explore(o));
  std::vector<nlohmann::json> parts;
  for (std::uint64_t k = 1; k <= 3; ++k) {
    o.shard = {k, 3};
    const ExploreSummary part = explore(o);
    for (std::uint64_t seed : part.worlds_run) EXPECT_TRUE(in_shard(seed, 0, o.shard)) << seed;
    parts.push_back(to_json(part));
  }
  EXPECT_EQ(parts[0]["worlds"], 21);
  EXPECT_EQ(parts[2]["worlds"], 20);
  EXPECT_EQ(merge({parts[2], parts[0], parts[1]}), whole);
}

TEST(Explore, MergeRefusesSummariesOfDifferentExplorations) {
  ExploreOptions o = beyond_redlock(10);
  o.shard = {1, 2};
  const nlohmann::json a = to_json(explore(o));
  EXPECT_THROW((void)merge({a, a}), std::invalid_argument);  // the same shard twice
  o.generator.mode = Mode::within;
  o.shard = {2, 2};
  EXPECT_THROW((void)merge({a, to_json(explore(o))}), std::invalid_argument);
}

TEST(Explore, KeepGoingStopsAnUnboundedRun) {
  int asked = 0;
  ExploreOptions o = beyond_redlock(0);
  o.seeds.reset();
  o.keep_going = [&] { return ++asked <= 5; };
  const ExploreSummary s = explore(o);
  EXPECT_EQ(s.worlds_run, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace locklab::scenarios
