// explore(): seeded worlds within and beyond each algorithm's assumptions,
// shards, jobs, and shrinking to a locally minimal scenario.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>

#include "locklab/scenarios/envelope.hpp"
#include "locklab/scenarios/cause.hpp"
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
    // Every fault of a written counterexample applies when it comes due.
    EXPECT_TRUE(replay.inapplicable.empty()) << file << ": " << replay.inapplicable.front().what;
    EXPECT_EQ(f.causes, cause_classes(loaded)) << file;
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

// A fault-only finding (an unfenced single-node lock whose holder is paused
// past its TTL), dressed as the explorer used to leave one: drifts of 2–4 %
// and clock offsets on every process, masters and replicas it does not need,
// more iterations than it takes, and faults that cannot apply (a restart of
// a running master, a resume of a client never paused, a heal of nothing).
Scenario paused_holder_with_noise() {
  Scenario s = load_scenario(std::filesystem::path(LOCKLAB_SOURCE_DIR) / "scenarios/single-node-gc-pause-unfenced.toml");
  s.trace_hash.reset();
  s.cluster.masters.push_back({.name = "redis-1", .replicas = 1});
  s.cluster.masters.push_back({.name = "redis-2", .replicas = 2});
  s.cluster.masters[0].replicas = 1;
  std::int64_t drift = 20'000;
  for (MasterSpec& m : s.cluster.masters) m.clock = {.offset = 3ms, .drift_ppm = drift += 5'000};
  for (ClientSpec& c : s.clients) {
    c.clock = {.offset = -7ms, .drift_ppm = -(drift += 5'000)};
    c.workload.iterations = 6;
  }
  // The file's pause of a and its resume, renumbered for the larger cluster,
  // and the noise.
  const sim::ProcessId master = master_id(s, 0), a = client_id(s, 0), b = client_id(s, 1);
  s.faults = {{sim::true_time(10ms), sim::ProcessRestart{master}},
              {sim::true_time(20ms), sim::ProcessResume{b}},
              {sim::true_time(30ms), sim::LinkHeal{{b}, {master}}},
              {sim::true_time(50ms), sim::ProcessPause{a}},
              {sim::true_time(1050ms), sim::ProcessResume{a}}};
  return s;
}

TEST(Shrink, AFaultOnlyFindingKeepsNoDriftNoNeedlessProcessesAndNoInapplicableFault) {
  const Scenario noisy = paused_holder_with_noise();
  ASSERT_EQ(run_scenario(noisy).inapplicable.size(), 3u);
  ASSERT_TRUE(configured_drift_exceeds_allowance(noisy));
  const ShrinkResult r = shrink(noisy, "resource_safety");
  EXPECT_TRUE(r.minimal);
  ASSERT_TRUE(violates(r.scenario, "resource_safety"));
  EXPECT_TRUE(r.report.inapplicable.empty());
  ASSERT_EQ(r.scenario.cluster.masters.size(), 1u);
  EXPECT_EQ(r.scenario.cluster.masters[0].replicas, 0);
  EXPECT_EQ(r.scenario.cluster.masters[0].clock, sim::ClockSpec{});
  for (const ClientSpec& c : r.scenario.clients) {
    EXPECT_EQ(c.clock, sim::ClockSpec{}) << c.name;
    EXPECT_EQ(c.workload.iterations, 1) << c.name;
  }
  ASSERT_EQ(r.scenario.faults.size(), 2u);  // the pause and its resume
  EXPECT_TRUE(std::holds_alternative<sim::ProcessPause>(r.scenario.faults[0].action));
  EXPECT_TRUE(std::holds_alternative<sim::ProcessResume>(r.scenario.faults[1].action));
  EXPECT_EQ(cause_classes(r.scenario), std::vector<std::string>{"client_pause"});
  // A restart, a resume or a heal alone is no class; the noisy drifts
  // exceed the 1 % allowance.
  EXPECT_EQ(cause_classes(noisy), (std::vector<std::string>{"client_pause", "drift-config"}));
}

// Faults that cannot apply go even when the run budget allows nothing else:
// they change nothing, so a written counterexample never carries one.
// Steps shrink as faults do: a careless holder whose work outlasts its TTL
// writes late (unfenced: a stale write, resource safety broken), and the
// shrinker takes away the steps the finding does not need — the repeats of
// holds, the raw command, the sleeps, the release — and runs the rest once.
TEST(Shrink, StepsTheFindingDoesNotNeedAreRemoved) {
  Scenario s;
  s.name = "stale-write";
  s.duration = 4s;
  s.cluster.masters.push_back({.name = "redis-0"});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.algorithm = {.kind = Algorithm::single_node, .ttl = 1000ms, .retry_count = 0};
  ClientSpec holder;
  holder.name = "holder";
  holder.steps = std::vector<Step>{
      CommandStep{.node = "redis-0", .argv = {"PING"}},
      RepeatStep{.times = 3, .steps = {SleepStep{.duration = 5ms}, HoldStep{.min = 1ms, .max = 3ms}}},
      RepeatStep{.times = 2, .steps = {AcquireStep{.key = "job"}, HoldStep{.min = 1ms, .max = 1ms},
                                       WriteStep{.count = 2, .work = 1500ms, .careful = false}, ReleaseStep{}}},
  };
  ClientSpec rival;
  rival.name = "rival";
  rival.steps = std::vector<Step>{SleepStep{.duration = 1200ms}, AcquireStep{.key = "job"}, WriteStep{},
                                  ReleaseStep{}, SleepStep{.duration = 10ms}};
  s.clients = {holder, rival};
  ASSERT_EQ(run_scenario(s).verdict("resource_safety")->kind, properties::Verdict::Kind::violation);
  const ShrinkResult r = shrink(s, "resource_safety");
  EXPECT_TRUE(r.minimal);
  ASSERT_EQ(r.scenario.clients.size(), 2u);
  const std::vector<Step> kept = r.scenario.clients[0].effective_steps();
  EXPECT_EQ(kept, (std::vector<Step>{AcquireStep{.key = "job"}, WriteStep{.count = 1, .work = 1500ms, .careful = false}}))
      << to_toml(r.scenario);
  EXPECT_EQ(r.report.verdict("resource_safety")->kind, properties::Verdict::Kind::violation);
}

TEST(Shrink, FaultsThatCannotApplyGoEvenWithNoRunsLeft) {
  const Scenario noisy = paused_holder_with_noise();
  const ShrinkResult r = shrink(noisy, "resource_safety", {.max_runs = 1});
  EXPECT_FALSE(r.minimal);
  EXPECT_TRUE(r.report.inapplicable.empty());
  EXPECT_EQ(r.scenario.faults.size(), noisy.faults.size() - 3);
  EXPECT_EQ(r.scenario.clients, noisy.clients);  // nothing else was tried
  EXPECT_EQ(r.scenario.cluster, noisy.cluster);
}

// A failover to an async replica that never got a's SET lets b in. Two
// more failovers of the same shard end it on that replica again: removing
// any one of the three ends it on the master that has the key (no
// violation), so only removing a pair shrinks it back to the one that
// matters.
TEST(Shrink, FailoversOfOneShardGoInPairs) {
  Scenario s = load_scenario(std::filesystem::path(LOCKLAB_SOURCE_DIR) / "scenarios" /
                             "single-node-failover-async-replica.toml");
  s.trace_hash.reset();
  ASSERT_EQ(s.failovers.size(), 1u);
  s.failovers.push_back({.at = sim::true_time(250ms), .master = "cache"});
  s.failovers.push_back({.at = sim::true_time(300ms), .master = "cache"});
  ASSERT_TRUE(violates(s, "mutual_exclusion"));
  for (std::size_t i = 0; i < s.failovers.size(); ++i) {
    Scenario c = s;
    c.failovers.erase(c.failovers.begin() + static_cast<std::ptrdiff_t>(i));
    ASSERT_FALSE(violates(c, "mutual_exclusion")) << "without failover " << i;
  }
  const ShrinkResult r = shrink(s, "mutual_exclusion");
  EXPECT_TRUE(r.minimal);
  ASSERT_EQ(r.scenario.failovers.size(), 1u);
  EXPECT_EQ(r.scenario.failovers[0].at, sim::true_time(200ms));
}

// A finding caused by drift: client a's clock runs 30 % slow, so it holds
// the lease well past the key's expiry on the master and b is granted
// meanwhile. Nothing else is wrong (a client crash after the fact is the
// only fault). The shrinker keeps a drift beyond the allowance and names it.
TEST(Shrink, ADriftFindingKeepsItsDriftAndIsNamedDriftConfig) {
  const Scenario s = parse_scenario(R"(format = 1
name = "slow-clock-holder"
seed = 1
duration = "4s"
[[cluster.master]]
name = "redis-0"
drift_ppm = 20000
[algorithm]
kind = "single_node"
ttl = "1s"
[[client]]
name = "a"
key = "job"
hold = "900ms"
drift_ppm = -300000
[[client]]
name = "b"
key = "job"
start_after = "1050ms"
drift_ppm = 15000
[[client]]
name = "c"
key = "other"
[[fault]]
at = "3s"
kind = "kill"
process = "c"
)", "slow-clock-holder.toml");
  ASSERT_TRUE(violates(s, "mutual_exclusion"));
  const ShrinkResult r = shrink(s, "mutual_exclusion");
  ASSERT_TRUE(violates(r.scenario, "mutual_exclusion"));
  EXPECT_TRUE(r.scenario.faults.empty());
  ASSERT_FALSE(r.scenario.clients.empty());
  EXPECT_EQ(r.scenario.clients[0].name, "a");
  EXPECT_LT(r.scenario.clients[0].clock.drift_ppm, -drift_allowance_ppm(r.scenario.algorithm));
  EXPECT_TRUE(configured_drift_exceeds_allowance(r.scenario));
  EXPECT_EQ(cause_classes(r.scenario), std::vector<std::string>{"drift-config"});
}

TEST(Shrink, WithoutMasterDropsItsReplicasFaultsAndFailoversAndRenumbers) {
  Scenario s;
  s.algorithm.kind = Algorithm::redlock;
  s.cluster.masters = {{.name = "redis-0"}, {.name = "redis-1", .replicas = 1}, {.name = "redis-2"}};
  s.clients.push_back({.name = "a"});
  const sim::ProcessId m1 = master_id(s, 1), replica = sim::ProcessId{2}, m2 = master_id(s, 2), a = client_id(s, 0);
  s.faults = {{sim::true_time(1ms), sim::ProcessPause{replica}},
              {sim::true_time(2ms), sim::ProcessPause{m2}},
              {sim::true_time(3ms), sim::LinkPartition{{a}, {m1, m2}}}};
  s.failovers = {{sim::true_time(4ms), "redis-1"}};
  const Scenario t = without_master(s, 1);
  ASSERT_EQ(t.cluster.masters.size(), 2u);
  EXPECT_EQ(t.cluster.masters[1].name, "redis-2");
  EXPECT_TRUE(t.failovers.empty());
  ASSERT_EQ(t.faults.size(), 2u);
  EXPECT_EQ(t.faults[0].action, sim::FaultAction{sim::ProcessPause{master_id(t, 1)}});
  EXPECT_EQ(t.faults[1].action, (sim::FaultAction{sim::LinkPartition{{client_id(t, 0)}, {master_id(t, 1)}}}));
  EXPECT_TRUE(validate(t).empty());
}

// Cause classes: one per class of fault left, then drift-config, and
// `algorithm` only when neither is left.
TEST(Cause, ClassesOfWhatIsLeft) {
  Scenario s;
  s.algorithm.kind = Algorithm::redlock;
  s.cluster.masters = {{.name = "redis-0", .replicas = 1}};
  s.clients = {{.name = "a"}, {.name = "b"}};
  EXPECT_EQ(cause_classes(s), std::vector<std::string>{"algorithm"});
  s.clients[0].clock.drift_ppm = s.algorithm.drift_ppm;  // exactly the allowance
  EXPECT_EQ(cause_classes(s), std::vector<std::string>{"algorithm"});
  s.cluster.masters[0].clock.drift_ppm = -1;  // one ppm past it
  EXPECT_EQ(cause_classes(s), std::vector<std::string>{"drift-config"});
  s.faults = {{sim::true_time(1ms), sim::ClockJump{client_id(s, 1), 5ms}},
              {sim::true_time(2ms), sim::MachineCrash{client_id(s, 0)}},
              {sim::true_time(3ms), sim::ProcessPause{master_id(s, 0)}},
              {sim::true_time(4ms), sim::ProcessResume{master_id(s, 0)}},
              {sim::true_time(5ms), sim::ConnectionReset{client_id(s, 0), master_id(s, 0)}}};
  s.failovers = {{sim::true_time(6ms), "redis-0"}};
  EXPECT_EQ(cause_classes(s), (std::vector<std::string>{"server_pause", "client_crash", "partition", "clock_jump",
                                                        "failover", "drift-config"}));
  // A drift set at true time zero is configuration: here it brings the
  // master back within the allowance; a later one is a drift change.
  s.faults.push_back({sim::TrueTime{}, sim::ClockDriftSet{master_id(s, 0), 0}});
  EXPECT_EQ(cause_classes(s), (std::vector<std::string>{"server_pause", "client_crash", "partition", "clock_jump",
                                                        "failover"}));
  s.faults.push_back({sim::true_time(7ms), sim::ClockDriftSet{master_id(s, 0), 0}});
  EXPECT_EQ(cause_classes(s).back(), "failover");
  EXPECT_EQ(cause_classes(s)[3], "clock_jump");
  EXPECT_EQ(cause_classes(s)[4], "drift");
  s.algorithm.kind = Algorithm::naive;  // no allowance at all
  s.cluster.masters[0].clock.drift_ppm = 0;
  s.clients[0].clock.drift_ppm = 1;
  EXPECT_TRUE(configured_drift_exceeds_allowance(s));
}

// The summary names each finding's causes, in the JSON too. Only pauses
// and delays are drawn; the starting drifts the generator gives every
// process are configuration (drift-config when they matter), never `drift`.
TEST(Explore, EachFindingNamesItsCauseClasses) {
  const ExploreSummary s = explore(
      {.generator = {.algorithm = Algorithm::single_node, .mode = Mode::beyond,
                     .classes = {FaultClass::client_pause, FaultClass::delay}, .fencing = false},
       .seeds = 10, .shrink = true});
  ASSERT_FALSE(s.findings.empty());
  const nlohmann::json json = to_json(s);
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    const Finding& f = s.findings[i];
    ASSERT_TRUE(f.shrunk.has_value()) << f.seed;
    EXPECT_EQ(f.causes, cause_classes(f.shrunk->scenario)) << f.seed;
    EXPECT_FALSE(f.causes.empty());
    for (const std::string& c : f.causes) {
      EXPECT_TRUE(c == "client_pause" || c == "delay" || c == "drift-config" || c == "algorithm") << c;
    }
    EXPECT_EQ(json["findings"][i]["causes"], nlohmann::json(f.causes)) << f.seed;
    EXPECT_NE(counterexample_of(f, "beyond").description.find("Cause: "), std::string::npos);
  }
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
