// Client steps run in a world: what each step records in the history, the
// lease steps without a lease, random holds within their range and the same
// for the same seed, raw commands to a node, and the shorthand workload
// running through the same interpreter (the library's trace hashes, checked
// by `locklab check scenarios/`, pin that it does exactly what it did).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
using history::OpKind;
using history::OpStatus;
using history::Operation;

// One master "redis-a" (with a replica when asked), single-node lock, TTL 1 s.
Scenario one_client(std::vector<Step> steps, int replicas = 0) {
  Scenario s;
  s.name = "steps";
  s.duration = 5s;
  s.cluster.masters.push_back({.name = "redis-a", .replicas = replicas});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.algorithm.kind = Algorithm::single_node;
  s.algorithm.ttl = 1000ms;
  s.clients.push_back({.name = "worker", .steps = std::move(steps)});
  return s;
}

std::vector<const Operation*> ops_of(const RunReport& r, OpKind kind) {
  std::vector<const Operation*> out;
  for (const Operation& op : r.history.operations()) {
    if (op.kind == kind) out.push_back(&op);
  }
  return out;
}

// "kind:outcome" of every operation, or of one holder's ("worker/w2").
std::string kinds(const RunReport& r, std::string_view holder = {}) {
  std::string out;
  for (const Operation& op : r.history.operations()) {
    if (!holder.empty() && op.client_name != holder) continue;
    if (!out.empty()) out += ' ';
    out += history::name_of(op.kind);
    out += ':';
    out += op.outcome;
  }
  return out;
}

TEST(StepInterpreter, EachStepRecordsItsOperationInOrder) {
  const Scenario s = one_client({
      AcquireStep{.key = "job"},
      HoldStep{.min = 20ms, .max = 20ms},
      WriteStep{.count = 2},
      ExtendStep{.deadline = 1s},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
  });
  ASSERT_TRUE(validate(s).empty());
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r),
            "acquire:acquired write:accepted write:accepted extend:extended release:released "
            "command:(integer) 0");
  const auto extends = ops_of(r, OpKind::extend);
  ASSERT_EQ(extends.size(), 1u);
  EXPECT_EQ(extends[0]->status, OpStatus::ok);
  EXPECT_EQ(extends[0]->grant, ops_of(r, OpKind::acquire)[0]->id);
  EXPECT_TRUE(extends[0]->validity_end_local.has_value());
  // The hold: the first write's work starts 20 ms after the grant.
  const auto writes = ops_of(r, OpKind::write);
  EXPECT_GE(writes[0]->invoked_true - ops_of(r, OpKind::acquire)[0]->completed_true, 20ms + 10ms);
  EXPECT_FALSE(r.any_violation());
}

// Without a lease, hold, write, extend and release do nothing: a refused
// acquire (the key is taken by a raw SET first) skips straight to the sleep.
TEST(StepInterpreter, LeaseStepsWithoutALeaseDoNothing) {
  const Scenario s = one_client({
      CommandStep{.node = "redis-a", .argv = {"SET", "job", "someone", "PX", "60000"}},
      AcquireStep{.key = "job", .deadline = 100ms, .single_attempt = true},
      HoldStep{.min = 1s, .max = 1s},
      WriteStep{},
      ExtendStep{.deadline = 1s},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"GET", "job"}},
  });
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r), "command:OK acquire:busy command:\"someone\"");
  const auto commands = ops_of(r, OpKind::command);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_LT(commands[1]->invoked_true - commands[0]->completed_true, 50ms) << "the hold of 1 s was skipped";
}

// A random hold lies in [min, max], and the same seed draws the same one.
TEST(StepInterpreter, RandomHoldsAreWithinTheirRangeAndRepeatable) {
  const Scenario s = one_client({RepeatStep{.times = 5,
                                            .steps = {AcquireStep{.key = "job"},
                                                      HoldStep{.min = 10ms, .max = 90ms},
                                                      WriteStep{.count = 1, .work = 0ms},
                                                      ReleaseStep{}}}});
  const RunReport a = run_scenario(s);
  const RunReport b = run_scenario(s);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  const auto acquires = ops_of(a, OpKind::acquire);
  const auto writes = ops_of(a, OpKind::write);
  ASSERT_EQ(writes.size(), 5u);
  std::set<sim::Duration> holds;
  for (std::size_t i = 0; i < 5; ++i) {
    const sim::Duration held = writes[i]->invoked_true - acquires[i]->completed_true;
    EXPECT_GE(held, 10ms);
    EXPECT_LE(held, 90ms);
    holds.insert(held);
  }
  EXPECT_GT(holds.size(), 1u) << "five draws from [10ms, 90ms] all alike";
  RunOptions other_seed;
  other_seed.seed = s.seed + 1;
  EXPECT_NE(run_scenario(s, other_seed).trace_hash, a.trace_hash);
}

// single_attempt gives up after one attempt; a per-step ttl is the lease's.
TEST(StepInterpreter, SingleAttemptAndPerStepTtl) {
  const Scenario s = one_client({
      AcquireStep{.key = "a", .ttl = 300ms},
      CommandStep{.node = "redis-a", .argv = {"PTTL", "a"}},
      AcquireStep{.key = "a", .deadline = 2s, .single_attempt = true},
  });
  const RunReport r = run_scenario(s);
  const auto acquires = ops_of(r, OpKind::acquire);
  ASSERT_EQ(acquires.size(), 2u);
  EXPECT_EQ(acquires[0]->outcome, "acquired");
  // The key's TTL is the step's 300 ms, less the few ms of round trips (the
  // command's connection is new) before the PTTL reaches the node.
  const std::string pttl = ops_of(r, OpKind::command)[0]->outcome;
  ASSERT_TRUE(pttl.starts_with("(integer) ")) << pttl;
  const int left = std::stoi(pttl.substr(10));
  EXPECT_GE(left, 290) << pttl;
  EXPECT_LE(left, 300) << pttl;
  EXPECT_EQ(acquires[1]->outcome, "busy");
  EXPECT_LT(acquires[1]->completed_true - acquires[1]->invoked_true, 100ms) << "retried";
}

// CLIENT KILL from a command step closes the lock's pooled connection; the
// release that follows notices the dead connection and still releases.
TEST(StepInterpreter, ClientKillOfTheLocksConnectionThenReleaseReleases) {
  const Scenario s = one_client({
      AcquireStep{.key = "job"},
      CommandStep{.node = "redis-a", .argv = {"CLIENT", "KILL", "TYPE", "normal"}},
      SleepStep{.duration = 10ms},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
  });
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r), "acquire:acquired command:(integer) 1 release:released command:(integer) 0");
}

// A file with steps runs them: the same world from the text as from values.
TEST(StepInterpreter, AFileWithStepsRunsThem) {
  const Scenario s = parse_scenario(R"(format = 2
duration = "2s"
[[cluster.master]]
name = "redis-a"
[algorithm]
kind = "single_node"
[[client]]
name = "worker"
steps = [
  { repeat = 2, steps = [
    { acquire = "job" },
    { release = true },
  ] },
]
)",
                                    "steps.toml");
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r), "acquire:acquired release:released acquire:acquired release:released");
}

// Three masters; the scenario's own lock is RedLock over all three; named
// locks run beside it on their own masters and options.
Scenario three_masters(std::vector<Step> steps) {
  Scenario s = one_client(std::move(steps));
  s.cluster.masters = {{.name = "redis-a"}, {.name = "redis-b"}, {.name = "redis-c"}};
  s.algorithm.kind = Algorithm::redlock;
  s.algorithm.ttl = 300ms;
  s.algorithm.node_timeout = 50ms;  // room for the first call's connect
  return s;
}

std::vector<Step> exists_everywhere(const std::string& key) {
  return {CommandStep{.node = "redis-a", .argv = {"EXISTS", key}},
          CommandStep{.node = "redis-b", .argv = {"EXISTS", key}},
          CommandStep{.node = "redis-c", .argv = {"EXISTS", key}}};
}

// One client uses the scenario's RedLock on "a", a fenced single-node lock on
// redis-c on "b" and a naive lock on redis-b on "c": each key is set exactly
// on its lock's masters, only the fenced lock's grant carries a token, and
// each release is its own lock's.
TEST(StepInterpreter, NamedLocksRunSideBySideOnTheirOwnMasters) {
  std::vector<Step> steps = {AcquireStep{.key = "a"}};
  for (Step& st : exists_everywhere("a")) steps.push_back(st);
  steps.push_back(ReleaseStep{});
  steps.push_back(AcquireStep{.key = "b", .lock = "solo"});
  for (Step& st : exists_everywhere("b")) steps.push_back(st);
  steps.push_back(ReleaseStep{});
  steps.push_back(AcquireStep{.key = "c", .lock = "blind"});
  for (Step& st : exists_everywhere("c")) steps.push_back(st);
  steps.push_back(ReleaseStep{});
  Scenario s = three_masters(std::move(steps));
  s.locks.push_back({.name = "solo", .algorithm = {.kind = Algorithm::single_node, .fencing = true},
                     .masters = {"redis-c"}});
  s.locks.push_back({.name = "blind", .algorithm = {.kind = Algorithm::naive}, .masters = {"redis-b"}});
  ASSERT_TRUE(validate(s).empty()) << validate(s)[0];
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r),
            "acquire:acquired command:(integer) 1 command:(integer) 1 command:(integer) 1 release:released "
            "acquire:acquired command:(integer) 0 command:(integer) 0 command:(integer) 1 release:released "
            "acquire:acquired command:(integer) 0 command:(integer) 1 command:(integer) 0 release:released");
  const auto acquires = ops_of(r, OpKind::acquire);
  ASSERT_EQ(acquires.size(), 3u);
  EXPECT_FALSE(acquires[0]->fencing_token.has_value());
  EXPECT_TRUE(acquires[1]->fencing_token.has_value());
  EXPECT_FALSE(acquires[2]->fencing_token.has_value());
  // The same scenario through its file: the writer and the reader agree.
  EXPECT_EQ(parse_scenario(to_toml(s), "named.toml"), s);
}

TEST(StepInterpreter, AStepNamingNoLockIsAProblem) {
  Scenario s = three_masters({RepeatStep{.times = 1, .steps = {AcquireStep{.key = "a", .lock = "nope"}}}});
  s.locks.push_back({.name = "solo", .algorithm = {.kind = Algorithm::single_node}, .masters = {"redis-a", "redis-b"}});
  s.locks.push_back({.name = "solo", .algorithm = {}, .masters = {"redis-x"}});
  const std::vector<std::string> problems = validate(s);
  const auto has = [&](const std::string& text) {
    return std::find(problems.begin(), problems.end(), text) != problems.end();
  };
  EXPECT_TRUE(has("clients[0].steps[0].steps[0].lock: names no lock (got \"nope\"; the scenario's named locks: "
                  "solo, solo)"));
  EXPECT_TRUE(has("locks[0].masters: a single_node lock runs on one master, got 2"));
  EXPECT_TRUE(has("locks[1].name: 'solo' names two locks"));
  EXPECT_TRUE(has("locks[1].masters: no master named 'redis-x'"));
}

// A watched 300 ms RedLock lease held for a second: the watchdog's renewals
// (every 193 ms: a third of the TTL before each validity end) are recorded
// as ok extends of the grant, each moving the validity end; release stops
// the watchdog and releases; the checkers see one grant believed until the
// release, without a violation.
TEST(StepInterpreter, AWatchdogsRenewalsAreRecordedAsExtendsOfTheGrant) {
  const Scenario s = three_masters({
      AcquireStep{.key = "job"},
      WatchStep{},
      HoldStep{.min = 1s, .max = 1s},
      WriteStep{},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
  });
  const RunReport r = run_scenario(s);
  const auto extends = ops_of(r, OpKind::extend);
  ASSERT_EQ(extends.size(), 5u) << kinds(r);
  const std::uint64_t grant = ops_of(r, OpKind::acquire)[0]->id;
  for (std::size_t i = 0; i < extends.size(); ++i) {
    EXPECT_EQ(extends[i]->status, OpStatus::ok);
    EXPECT_EQ(extends[i]->grant, grant);
    ASSERT_TRUE(extends[i]->validity_end_local.has_value());
    if (i > 0) {
      EXPECT_GT(*extends[i]->validity_end_local, *extends[i - 1]->validity_end_local);
    }
  }
  EXPECT_EQ(ops_of(r, OpKind::write).at(0)->outcome, "accepted");
  EXPECT_EQ(ops_of(r, OpKind::release).at(0)->outcome, "released");
  EXPECT_EQ(ops_of(r, OpKind::command).at(0)->outcome, "(integer) 0");
  EXPECT_TRUE(ops_of(r, OpKind::note).empty());
  EXPECT_FALSE(r.any_violation()) << r.verdicts.front().summary;
}

// max_renewals = 1: one renewal, then the lease runs out and the watchdog's
// loss is noted (with `lost`), which a wait_until lease_lost sees 478 ms
// after the grant (the renewal at 100 ms before the first validity end gives
// 293 ms more); a write after the loss is not made. The release still finds
// the key: the nodes keep it for the full 300 ms, the holder's validity
// allowed for 1% drift and the round trip.
TEST(StepInterpreter, AWatchdogOutOfRenewalsNotesTheLossAndWaitUntilSeesIt) {
  const Scenario s = three_masters({
      AcquireStep{.key = "job"},
      WatchStep{.renew_before = 100ms, .max_renewals = 1},
      WaitUntilStep{.condition = WaitCondition::lease_lost, .within = 2s},
      WriteStep{},
      ReleaseStep{},
  });
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r),
            "acquire:acquired extend:extended note:watchdog: lease lost (lost) "
            "note:wait_until lease_lost: met after 478ms release:released")
      << kinds(r);
  const auto notes = ops_of(r, OpKind::note);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0]->grant, ops_of(r, OpKind::acquire)[0]->id);
  EXPECT_FALSE(r.any_violation());
}

// wait_until a time runs the next step at exactly that true time; a
// lease_lost that does not come within its bound is noted as failed.
TEST(StepInterpreter, WaitUntilATimeAndABoundThatPasses) {
  const Scenario s = one_client({
      WaitUntilStep{.condition = WaitCondition::time, .at = 1500ms},
      CommandStep{.node = "redis-a", .argv = {"PING"}},
      AcquireStep{.key = "job"},
      WaitUntilStep{.condition = WaitCondition::lease_lost, .within = 200ms},
      WaitUntilStep{.condition = WaitCondition::lease_lost, .within = 2s},
  });
  const RunReport r = run_scenario(s);
  const auto notes = ops_of(r, OpKind::note);
  ASSERT_EQ(notes.size(), 3u) << kinds(r);
  EXPECT_EQ(notes[0]->outcome, "wait_until 1.5s: reached");
  EXPECT_EQ(notes[0]->completed_true, sim::true_time(1500ms));
  EXPECT_EQ(ops_of(r, OpKind::command).at(0)->invoked_true, sim::true_time(1500ms));
  EXPECT_EQ(notes[1]->outcome, "wait_until lease_lost: not within 200ms");
  EXPECT_EQ(notes[1]->status, OpStatus::fail);
  EXPECT_TRUE(notes[2]->outcome.starts_with("wait_until lease_lost: met after ")) << notes[2]->outcome;
  EXPECT_EQ(notes[2]->status, OpStatus::ok);
}

std::vector<const Operation*> ops_by(const RunReport& r, const std::string& holder, OpKind kind) {
  std::vector<const Operation*> out;
  for (const Operation& op : r.history.operations()) {
    if (op.client_name == holder && op.kind == kind) out.push_back(&op);
  }
  return out;
}

// Five waiters of one client's lock manager on one key: the first holds for
// 100 ms; the second's deadline (50 ms) passes while queued, the third is
// stopped at 30 ms, the fourth's handle is destroyed at 20 ms; the fifth is
// served once the first unlocks. Each is a holder of its own in the history,
// and the checkers find nothing wrong.
TEST(StepInterpreter, ManagerWaitersQueueGiveUpAndAreServedInTurn) {
  const Scenario s = one_client({ManagerStep{
      .key = "job",
      .waiters = {{.hold = 100ms, .writes = 1},
                  {.start_after = 5ms, .deadline = 50ms},
                  {.start_after = 5ms, .stop_after = 30ms},
                  {.start_after = 5ms, .destroy_after = 20ms},
                  {.start_after = 5ms, .hold = 10ms}}}});
  ASSERT_TRUE(validate(s).empty()) << validate(s)[0];
  const RunReport r = run_scenario(s);
  const auto outcome = [&](int w) {
    const auto ops = ops_by(r, "worker/w" + std::to_string(w), OpKind::acquire);
    return ops.size() == 1 ? ops[0]->outcome : "ops: " + std::to_string(ops.size());
  };
  EXPECT_EQ(outcome(1), "acquired");
  EXPECT_EQ(outcome(2), "timed_out");
  EXPECT_EQ(outcome(3), "cancelled");
  EXPECT_EQ(outcome(4), "cancelled");
  EXPECT_EQ(outcome(5), "acquired");
  const auto w2 = ops_by(r, "worker/w2", OpKind::acquire).at(0);
  EXPECT_EQ(w2->completed_true - w2->invoked_true, 50ms);
  const auto w3 = ops_by(r, "worker/w3", OpKind::acquire).at(0);
  EXPECT_EQ(w3->completed_true - w3->invoked_true, 30ms);
  const auto w4 = ops_by(r, "worker/w4", OpKind::acquire).at(0);
  EXPECT_EQ(w4->completed_true - w4->invoked_true, 20ms);
  // The fifth is served after the first's release.
  const auto release1 = ops_by(r, "worker/w1", OpKind::release).at(0);
  EXPECT_EQ(release1->outcome, "released");
  EXPECT_GE(ops_by(r, "worker/w5", OpKind::acquire).at(0)->completed_true, release1->invoked_true);
  EXPECT_EQ(ops_by(r, "worker/w1", OpKind::write).at(0)->outcome, "accepted");
  EXPECT_EQ(ops_by(r, "worker/w5", OpKind::release).at(0)->outcome, "released");
  EXPECT_FALSE(r.any_violation()) << r.verdicts.front().summary;
}

// A waiter whose handle is destroyed while the contender's acquire is in
// flight (links of 10 ms) never holds, and the manager releases that grant
// at once: the key is gone when the step has ended. A waiter that drops its
// handle while holding (unlock = false) has it unlocked by the destructor.
TEST(StepInterpreter, ManagerReleasesAGrantWhoseWaiterGaveUpInFlight) {
  Scenario s = one_client({
      ManagerStep{.key = "job", .waiters = {{.destroy_after = 5ms}}},
      SleepStep{.duration = 100ms},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
      ManagerStep{.key = "job", .waiters = {{.hold = 10ms, .unlock = false}}},
      SleepStep{.duration = 100ms},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
  });
  s.cluster.latency = sim::FixedLatency{10ms};
  s.algorithm.node_timeout = 100ms;
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r),
            "acquire:cancelled command:(integer) 0 acquire:acquired release:handle dropped command:(integer) 0");
  // Given up 5 ms into the wait, with the contender's first round trip (20 ms)
  // still out.
  const auto first = ops_of(r, OpKind::acquire).at(0);
  EXPECT_EQ(first->completed_true - first->invoked_true, 5ms);
  EXPECT_FALSE(r.any_violation()) << r.verdicts.front().summary;
}

// A client killed while its waiters queue and hold unwinds cleanly: the
// world runs to its end, the waiters' operations stay pending.
TEST(StepInterpreter, AClientKilledDuringAManagerStepUnwinds) {
  Scenario s = one_client({
      AcquireStep{.key = "own"},
      WatchStep{},
      ManagerStep{.key = "job", .waiters = {{.hold = 500ms}, {.hold = 500ms}, {.destroy_after = 300ms}}},
  });
  s.faults.push_back({sim::true_time(200ms), sim::ProcessKill{client_id(s, 0)}});
  const RunReport r = run_scenario(s);
  EXPECT_EQ(r.run.status, sim::RunStatus::reached_time);
  EXPECT_EQ(ops_by(r, "worker/w1", OpKind::acquire).at(0)->outcome, "acquired");
  EXPECT_EQ(ops_by(r, "worker/w2", OpKind::acquire).at(0)->status, OpStatus::pending);
}

// NamedMutex from steps: a lock, a recursive lock refused as the standard
// mutexes refuse it, a write under the mutex's lease, release (which unlocks
// the mutex), an unlock by a client that no longer holds it refused; the
// second client's try_lock is refused while the first holds, and its
// try_lock_for gets the mutex once the first unlocks.
TEST(StepInterpreter, MutexStepsLockUnlockAndReportMisuseAsOutcomes) {
  Scenario s = one_client({
      MutexStep{.key = "job"},
      MutexStep{.key = "job"},
      HoldStep{.min = 200ms, .max = 200ms},
      WriteStep{},
      ReleaseStep{},
      MutexStep{.key = "job", .call = MutexCall::unlock},
  });
  ClientSpec other;  // members assigned: GCC 12 -O3 misreads a designated init here
  other.name = "other";
  other.steps = std::vector<Step>{SleepStep{.duration = 50ms}, MutexStep{.key = "job", .call = MutexCall::try_lock},
                                  MutexStep{.key = "job", .call = MutexCall::try_lock_for, .timeout = 1s},
                                  ReleaseStep{}};
  s.clients.push_back(other);
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r, "worker"),
            "acquire:acquired acquire:would deadlock (already held by this client) write:accepted release:released "
            "release:not the owner");
  EXPECT_EQ(kinds(r, "other"), "acquire:busy acquire:acquired release:released");
  EXPECT_GE(ops_by(r, "other", OpKind::acquire).at(1)->completed_true,
            ops_by(r, "worker", OpKind::release).at(0)->invoked_true);
  EXPECT_FALSE(r.any_violation()) << r.verdicts.front().summary;
}

// A LeaseGuard releases at the end of its scope; a release inside goes
// through it (nothing more at the end); a lease acquired inside the scope is
// not the guard's, which still releases its own.
TEST(StepInterpreter, GuardStepsReleaseAtTheEndOfTheirScope) {
  const Scenario s = one_client({
      AcquireStep{.key = "a"},
      GuardStep{.steps = {WriteStep{}}},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "a"}},
      AcquireStep{.key = "a"},
      GuardStep{.steps = {ReleaseStep{}}},
      AcquireStep{.key = "a"},
      GuardStep{.steps = {AcquireStep{.key = "b"}}},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "a", "b"}},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "b"}},
  });
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r),
            "acquire:acquired write:accepted release:released by the guard's scope command:(integer) 0 "
            "acquire:acquired release:released "
            "acquire:acquired acquire:acquired release:released by the guard's scope command:(integer) 1 "
            "release:released command:(integer) 0");
  EXPECT_FALSE(r.any_violation()) << r.verdicts.front().summary;
}

}  // namespace
}  // namespace locklab::scenarios
