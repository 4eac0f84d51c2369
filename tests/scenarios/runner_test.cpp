// run_scenario: a Scenario value becomes a judged world, the same every time.
#include <gtest/gtest.h>

#include <filesystem>

#include "locklab/scenarios/report.hpp"
#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
using Kind = properties::Verdict::Kind;

// A story of the scenario library (scenarios/<name>.toml): the stories
// exist once, as files; these tests say what a file cannot (the storage's
// log, the words of a verdict, the runner's own behaviour).
Scenario story(const std::string& name) {
  return load_scenario(std::filesystem::path(LOCKLAB_SOURCE_DIR) / "scenarios" / (name + ".toml"));
}

// Single node, TTL 1s: a takes the lock and starts 5s of work; the node's
// clock steps back `step` at 30ms, so a's key lives that much longer there;
// a is killed at 50ms; b asks from 100ms, every 20ms, for up to 5s.
Scenario crashed_holder_and_step_back(sim::Duration step) {
  Scenario s;
  s.name = "crashed-holder-step-back";
  s.seed = 1;
  s.duration = 6s;
  s.cluster.masters.push_back({.name = "redis-0"});
  s.algorithm = {.kind = Algorithm::single_node, .ttl = 1s, .retry_count = 1000, .retry_delay = 20ms,
                 .retry_jitter = 0ms};
  s.clients.push_back({.name = "a", .workload = {.key = "job", .hold = 5s}});
  s.clients.push_back({.name = "b", .workload = {.key = "job", .start_after = 100ms, .acquire_timeout = 5s}});
  s.faults.push_back({sim::true_time(30ms), sim::ClockJump{master_id(s, 0), -step}});
  s.faults.push_back({sim::true_time(50ms), sim::ProcessKill{client_id(s, 0)}});
  return s;
}

// A step back of 3s keeps the dead holder's key about 3s past its TTL: b,
// waiting from 100ms, is overdue one bound later. The step is healed the
// instant it happens; the wait it causes is the finding (crashed_holder).
TEST(ScenarioRunner, ClockStepBackOnTheNodeOfACrashedHolderIsALivenessFinding) {
  const RunReport r = run_scenario(crashed_holder_and_step_back(3s));
  ASSERT_EQ(r.run.status, sim::RunStatus::reached_time) << r.run.detail;
  EXPECT_EQ(r.grants(), 2);  // b gets in once the key expires, at about 4s
  const properties::Verdict& v = *r.verdict("liveness");
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  ASSERT_TRUE(v.first);
  EXPECT_EQ(v.first->rule, "crashed_holder");
  EXPECT_EQ(v.first->at, sim::true_time(100ms));  // b's wait, from its first acquire
  EXPECT_EQ(r.verdict("mutual_exclusion")->kind, Kind::ok);
  EXPECT_EQ(r.finding(), FindingKind::liveness);
}

// The same with a step back of 10ms, which the drift allowance covers: ok.
TEST(ScenarioRunner, SmallClockStepBackOnTheNodeOfACrashedHolderIsOk) {
  const RunReport r = run_scenario(crashed_holder_and_step_back(10ms));
  EXPECT_EQ(r.verdict("liveness")->kind, Kind::ok) << r.verdict("liveness")->summary;
  EXPECT_EQ(r.finding(), std::nullopt);
}

// A run cut short by its event budget is a failed world, a finding of its
// own kind above every checker's (whose verdicts cover only what ran).
TEST(ScenarioRunner, ARunOutOfEventBudgetIsAFailedWorld) {
  const RunReport r = run_scenario(story("single-node-gc-pause-unfenced"), {.max_events = 20});
  EXPECT_EQ(r.run.status, sim::RunStatus::budget_exhausted);
  EXPECT_TRUE(r.world_failed());
  EXPECT_EQ(r.finding(), FindingKind::world_failed);
  EXPECT_EQ(r.verdict("liveness")->summary.rfind("liveness not judged: the world failed (budget_exhausted at ", 0), 0u)
      << r.verdict("liveness")->summary;

  const RunReport full = run_scenario(story("single-node-gc-pause-unfenced"));
  EXPECT_FALSE(full.world_failed());
  EXPECT_EQ(full.finding(), FindingKind::safety);  // resource safety
}

// An acquire still out when the world ends is "pending at the end"; only one
// whose client was killed or crashed after it began "died" with its process.
TEST(ScenarioReport, PendingAtTheEndIsNotADeadProcess) {
  Scenario s;
  s.duration = 300ms;
  s.cluster.masters.push_back({.name = "redis-0"});
  s.algorithm = {.kind = Algorithm::single_node, .ttl = 10s};
  s.clients.push_back({.name = "a", .workload = {.key = "job", .hold = 5s}});
  s.clients.push_back({.name = "b", .workload = {.key = "job", .acquire_timeout = 5s}});
  s.clients.push_back({.name = "c", .workload = {.key = "job", .acquire_timeout = 5s}});
  s.faults.push_back({sim::true_time(200ms), sim::ProcessKill{client_id(s, 2)}});
  const std::string report = format_report(s, run_scenario(s));
  EXPECT_NE(report.find("1 pending at the end"), std::string::npos) << report;
  EXPECT_NE(report.find("1 pending (process died)"), std::string::npos) << report;
}

TEST(ScenarioLayout, ProcessesAreMastersWithReplicasThenStorageThenClients) {
  Scenario s = story("redlock-gc-pause-unfenced");
  s.cluster.masters.resize(2);
  s.cluster.masters[0].replicas = 2;
  EXPECT_EQ(process_names(s), (std::vector<std::string>{"redis-0", "redis-0-replica-1", "redis-0-replica-2",
                                                        "redis-1", "storage", "a", "b"}));
  EXPECT_EQ(master_id(s, 1), sim::ProcessId{3});
  EXPECT_EQ(storage_id(s), sim::ProcessId{4});
  EXPECT_EQ(client_id(s, 1), sim::ProcessId{6});
  EXPECT_EQ(process_named(s, "b"), sim::ProcessId{6});
  EXPECT_EQ(process_named(s, "nobody"), std::nullopt);
}

TEST(ScenarioValidation, NamesEveryProblemWithItsField) {
  Scenario s = story("redlock-gc-pause-unfenced");
  s.cluster.masters.resize(3);
  s.clients[1].name = "redis-0";
  s.algorithm.quorum = 5;
  s.faults.push_back({sim::true_time(1s), sim::ProcessPause{sim::ProcessId{42}}});
  s.failovers.push_back({sim::true_time(1s), "redis-1"});
  s.expect["fairness"] = Kind::ok;
  const std::vector<std::string> problems = validate(s);
  const auto has = [&](std::string_view text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has("'redis-0' names two processes"));
  EXPECT_TRUE(has("quorum 5 is larger than the 3 nodes"));
  EXPECT_TRUE(has("faults[2]: process 42 does not exist"));
  EXPECT_TRUE(has("failovers[0].master: 'redis-1' has no replica"));
  EXPECT_TRUE(has("expect.fairness: no such checker"));
  EXPECT_THROW((void)run_scenario(s), std::invalid_argument);
}

// Client a acquires a 500 ms lease and starts 100 ms of work before its
// write; a 1 s pause hits in the middle. b acquires once a's lease ended and
// writes; a wakes and sends its stale write after b's.
TEST(ScenarioRunner, GcPauseWithoutFencingLetsTheStaleWriteIn) {
  const Scenario s = story("single-node-gc-pause-unfenced");
  const RunReport r = run_scenario(s);
  ASSERT_EQ(r.run.status, sim::RunStatus::reached_time) << r.run.detail;
  EXPECT_EQ(r.grants(), 2);
  EXPECT_EQ(r.verdict("mutual_exclusion")->kind, Kind::ok) << r.verdict("mutual_exclusion")->summary;
  EXPECT_EQ(r.verdict("resource_safety")->kind, Kind::violation);
  EXPECT_TRUE(r.any_violation());
  ASSERT_EQ(r.faults.size(), 2u);
  EXPECT_EQ(r.faults[0].what, "pause a");
}

// The same with fencing: a's stale write is sent, and the storage refuses it.
TEST(ScenarioRunner, GcPauseWithFencingRejectsTheStaleWrite) {
  for (const char* name : {"single-node-gc-pause-fenced", "redlock-gc-pause-fenced"}) {
    const RunReport r = run_scenario(story(name));
    EXPECT_EQ(r.grants(), 2) << name;
    EXPECT_FALSE(r.any_violation()) << name;
    ASSERT_EQ(r.storage.writes().size(), 2u) << name;
    EXPECT_TRUE(r.storage.writes()[0].accepted) << name;   // b's
    EXPECT_FALSE(r.storage.writes()[1].accepted) << name;  // a's, with the older token
  }
}

TEST(ScenarioRunner, SameScenarioAndSeedGiveTheSameTraceAndHistory) {
  const Scenario s = story("redlock-gc-pause-unfenced");
  const RunReport first = run_scenario(s);
  const RunReport second = run_scenario(s);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.history, second.history);
  const RunReport other = run_scenario(s, {.seed = 8});
  EXPECT_EQ(other.seed, 8u);
  ASSERT_NE(s.seed, 8u);
  EXPECT_NE(other.trace_hash, first.trace_hash);
}

// A failover record reaches the deployment: the promoted replica never got
// a's key (the master is partitioned from it first), so b gets in, and the
// verdict names the failover.
TEST(ScenarioRunner, FailoverToAnAsyncReplicaLetsASecondClientIn) {
  const RunReport r = run_scenario(story("single-node-failover-async-replica"));
  EXPECT_EQ(r.grants(), 2);
  EXPECT_EQ(r.verdict("mutual_exclusion")->kind, Kind::violation) << r.verdict("mutual_exclusion")->summary;
  EXPECT_NE(r.verdict("mutual_exclusion")->summary.find("failover cache"), std::string::npos)
      << r.verdict("mutual_exclusion")->summary;
}

TEST(ScenarioRunner, ExpectationsAreComparedPerChecker) {
  Scenario s = story("single-node-gc-pause-unfenced");
  s.expect = {{"mutual_exclusion", Kind::ok}, {"resource_safety", Kind::ok}};
  const RunReport r = run_scenario(s);
  const std::vector<std::string> lines = expectation_mismatches(s, r);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("resource_safety: expected ok, got violation", 0), 0u) << lines[0];
}

}  // namespace
}  // namespace locklab::scenarios
