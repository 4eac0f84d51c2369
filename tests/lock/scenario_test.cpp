// The classic arguments about Redis locks, each replayed as a story in a
// seeded world and judged by the checkers (mutual exclusion by belief, and
// resource safety on the protected storage's log).
#include <gtest/gtest.h>

#include "lock/scenario.hpp"
#include "locklab/properties/fault_generator.hpp"
#include "locklab/sim/redis/deployment.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

struct PauseCase {
  Algorithm algorithm;
  int masters;
  bool fencing;
};

class ClientPause : public ::testing::TestWithParam<PauseCase> {};

// Client A acquires (TTL 500 ms), checks its lease, and starts 100 ms of work
// before writing; a 1 s stop-the-world pause hits during the work. Its lease
// ends on its own clock while it is paused; B acquires at 600 ms and writes.
// A wakes and sends its write, believing nothing — but the write lands after
// B's. Without fencing the storage accepts it: resource safety is violated
// while mutual exclusion (by belief) holds. With fencing A's token is older
// than B's and the write is rejected.
TEST_P(ClientPause, LongerThanTheTtlMakesAStaleWriteThatOnlyFencingStops) {
  const PauseCase c = GetParam();
  Scenario s(c.masters, c.fencing);
  const lock::LockOptions options{.ttl = 500ms, .fencing = c.fencing};
  const sim::ProcessId a = s.client("a", c.algorithm, options, {.key = "job", .hold = 100ms});
  s.client("b", c.algorithm, options, {.key = "job", .start_after = 600ms, .hold = 10ms});
  s.fault(50ms, sim::ProcessPause{a});
  s.fault(1050ms, sim::ProcessResume{a});
  s.run(3s);

  ASSERT_NE(s.result.status, sim::RunStatus::failed) << s.result.detail;
  EXPECT_EQ(s.grants(), 2);
  EXPECT_TRUE(ok(s.mutual_exclusion)) << s.mutual_exclusion.summary;
  if (c.fencing) {
    EXPECT_TRUE(ok(s.resource_safety)) << s.resource_safety.summary;
    EXPECT_EQ(s.writes(true), 1);   // B's
    EXPECT_EQ(s.writes(false), 1);  // A's stale write, rejected
  } else {
    EXPECT_TRUE(violated(s.resource_safety));
    EXPECT_EQ(s.writes(true), 2);  // both clients wrote
  }
}

INSTANTIATE_TEST_SUITE_P(
    Locks, ClientPause,
    ::testing::Values(PauseCase{Algorithm::single_node, 1, false},
                      PauseCase{Algorithm::single_node, 1, true},
                      PauseCase{Algorithm::redlock, 5, false},
                      PauseCase{Algorithm::redlock, 5, true}),
    [](const auto& param_info) {
      const PauseCase& c = param_info.param;
      return std::string(c.algorithm == Algorithm::redlock ? "RedLock" : "SingleNode") +
             (c.fencing ? "Fenced" : "Unfenced");
    });

// A holds a 2 s RedLock on all five masters. Three of them jump their clocks
// 3 s forward: the key expires there at once (Redis expires by its own
// clock). B then gets those three — a quorum — while A still believes.
TEST(RedLockSafety, ClockJumpOnMajorityAllowsSecondHolder) {
  Scenario s(5, false);
  const lock::LockOptions options{.ttl = 2s};
  s.client("a", Algorithm::redlock, options, {.key = "job", .hold = 1s});
  s.client("b", Algorithm::redlock, options, {.key = "job", .start_after = 300ms});
  for (int i = 0; i < 3; ++i) s.fault(100ms, sim::ClockJump{s.redis[static_cast<std::size_t>(i)], 3s});
  s.run(5s);
  EXPECT_EQ(s.grants(), 2);
  EXPECT_TRUE(violated(s.mutual_exclusion));
  EXPECT_NE(s.mutual_exclusion.summary.find("clock"), std::string::npos) << s.mutual_exclusion.summary;
}

// A holds a single-node lock (TTL 2 s). The node is killed and restarted at
// once without persistence: the key is gone, and B acquires while A believes.
// With a delayed restart of at least the TTL, the node stays down until A's
// lease is over; B gets in only after — safe.
TEST(SingleNodeSafety, CrashRestartWithoutPersistenceAllowsSecondHolder) {
  Scenario s(1, false);
  const lock::LockOptions options{.ttl = 2s};
  s.client("a", Algorithm::single_node, options, {.key = "job", .hold = 1s});
  s.client("b", Algorithm::single_node, options,
           {.key = "job", .start_after = 300ms, .acquire_timeout = 5s});
  s.fault(100ms, sim::ProcessKill{s.redis[0]});
  s.fault(150ms, sim::ProcessRestart{s.redis[0]});
  s.run(6s);
  EXPECT_EQ(s.grants(), 2);
  EXPECT_TRUE(violated(s.mutual_exclusion));
}

TEST(SingleNodeSafety, DelayedRestartOfAtLeastTheTtlIsSafe) {
  Scenario s(1, false, {.restart_delay = 2s});
  const lock::LockOptions options{.ttl = 2s, .retry = {.count = 50, .delay = 100ms}};
  s.client("a", Algorithm::single_node, options, {.key = "job", .hold = 1s});
  s.client("b", Algorithm::single_node, options,
           {.key = "job", .start_after = 300ms, .acquire_timeout = 5s});
  s.fault(100ms, sim::ProcessKill{s.redis[0]});
  s.fault(150ms, sim::ProcessRestart{s.redis[0]});
  s.run(8s);
  EXPECT_EQ(s.grants(), 2);
  EXPECT_TRUE(ok(s.mutual_exclusion)) << s.mutual_exclusion.summary;
  EXPECT_TRUE(ok(s.resource_safety)) << s.resource_safety.summary;
}

// The naive lock's blind DEL: A's lease (500 ms) runs out during its 700 ms
// of work; B acquires; A finishes and DELs — B's key. C gets in while B still
// believes it holds the lock.
TEST(NaiveLockSafety, ReleaseAfterExpiryDeletesTheNextHoldersLock) {
  Scenario s(1, false);
  const lock::LockOptions options{.ttl = 500ms, .retry = {.count = 0}};
  s.client("a", Algorithm::naive, options, {.key = "job", .hold = 700ms});
  s.client("b", Algorithm::naive, options, {.key = "job", .start_after = 550ms, .hold = 1s});
  s.client("c", Algorithm::naive, options, {.key = "job", .start_after = 750ms});
  s.run(3s);
  EXPECT_EQ(s.grants(), 3);
  EXPECT_TRUE(violated(s.mutual_exclusion));
  EXPECT_NE(s.mutual_exclusion.summary.find("c"), std::string::npos) << s.mutual_exclusion.summary;
}

// A client crashes while holding: nothing releases the key, and another
// client acquires once the TTL has run out on the node — within TTL plus the
// drift allowance of A's acquire, not before its validity ended.
TEST(SingleNodeLiveness, CrashedHolderFreesWithinTtlPlusDrift) {
  Scenario s(1, false);
  const lock::LockOptions options{.ttl = 1s, .retry = {.count = 100, .delay = 20ms, .jitter = 0ms}};
  const sim::ProcessId a = s.client("a", Algorithm::single_node, options, {.key = "job", .hold = 5s});
  s.client("b", Algorithm::single_node, options,
           {.key = "job", .start_after = 100ms, .acquire_timeout = 3s});
  s.fault(50ms, sim::ProcessKill{a});
  s.run(5s);
  std::vector<sim::Operation> grants;
  for (const sim::Operation& op : s.history.operations()) {
    if (op.kind == sim::OpKind::acquire && op.status == sim::OpStatus::ok) grants.push_back(op);
  }
  ASSERT_EQ(grants.size(), 2u);
  ASSERT_TRUE(grants[0].validity_end_true.has_value());
  EXPECT_GE(grants[1].completed_true, *grants[0].validity_end_true);
  // TTL, plus one retry interval (20 ms) and a round trip to notice.
  EXPECT_LE(grants[1].completed_true - grants[0].invoked_true, 1s + 20ms + 1ms);
  EXPECT_TRUE(ok(s.mutual_exclusion)) << s.mutual_exclusion.summary;
}

}  // namespace
}  // namespace locklab::testing

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

// One master with an asynchronous replica. The link from master to replica
// is cut (held) just before A acquires, so A's SET is acknowledged but never
// replicated. The replica is promoted; B, resolving the logical name, finds a
// master without the key and acquires while A still believes: two holders.
TEST(SingleNodeSafety, FailoverToAnAsyncReplicaAllowsSecondHolder) {
  Scenario s(0, false);
  sim::redis::Deployment redis(s.world);
  const sim::ProcessId master = redis.add_shard({.name = "cache", .replicas = 1});
  const sim::ProcessId replica = redis.nodes_of("cache")[1];
  s.named = {{"cache", redis.resolver("cache")}};
  const lock::LockOptions options{.ttl = 2s};
  s.client("a", Algorithm::single_node, options, {.key = "job", .start_after = 100ms, .hold = 1s});
  s.client("b", Algorithm::single_node, options, {.key = "job", .start_after = 400ms});
  s.fault(90ms, sim::LinkPartition{{master}, {replica}, true, sim::PartitionMode::hold});
  redis.schedule_failover(sim::true_time(200ms), "cache");
  s.run(5s);
  ASSERT_EQ(redis.failovers().size(), 1u);
  EXPECT_EQ(s.grants(), 2);
  EXPECT_TRUE(violated(s.mutual_exclusion));
}

// A RedLock master pair is paused while A's SET NX is queued on them: A's
// requests time out, its attempt fails short of quorum, and it releases on
// every node — the releases queue on the paused nodes too, on new
// connections. On resume the nodes apply the queued SET and the release in
// whatever order they arrived; if the SET comes last, the key stays for one
// TTL. Either way B is blocked no longer than the TTL after the resume, and
// the checkers find nothing.
TEST(RedLockSafety, PausedMastersApplyAQueuedSetAfterResumeWithoutHarm) {
  Scenario s(3, false);
  const lock::LockOptions a_options{.ttl = 1s, .retry = {.count = 0}};
  const lock::LockOptions b_options{.ttl = 1s, .retry = {.count = 100, .delay = 50ms, .jitter = 10ms}};
  s.client("a", Algorithm::redlock, a_options, {.key = "job", .start_after = 10ms});
  s.client("b", Algorithm::redlock, b_options,
           {.key = "job", .start_after = 600ms, .acquire_timeout = 5s});
  s.fault(5ms, sim::ProcessPause{s.redis[1]});
  s.fault(5ms, sim::ProcessPause{s.redis[2]});
  s.fault(500ms, sim::ProcessResume{s.redis[1]});
  s.fault(500ms, sim::ProcessResume{s.redis[2]});
  s.run(6s);

  const sim::Operation& a_acquire = s.history.operations().front();
  EXPECT_EQ(a_acquire.outcome, "indeterminate");  // short of quorum, releases unconfirmed
  std::optional<sim::TrueTime> b_granted;
  for (const sim::Operation& op : s.history.operations()) {
    if (op.client_name == "b" && op.kind == sim::OpKind::acquire && op.status == sim::OpStatus::ok) {
      b_granted = op.completed_true;
    }
  }
  ASSERT_TRUE(b_granted.has_value());
  EXPECT_LE(*b_granted, sim::true_time(500ms + 1s + 60ms + 1ms));
  EXPECT_TRUE(ok(s.mutual_exclusion)) << s.mutual_exclusion.summary;
  EXPECT_TRUE(ok(s.resource_safety)) << s.resource_safety.summary;
}

// Within RedLock's assumptions (see properties/fault_generator.hpp) no seed
// of 200 random fault schedules — drift, minority crashes with delayed
// restart, partitions of any shape, delays of any length — lets two clients
// hold the lock at once, and with fencing the storage never takes a stale write.
TEST(RedLockSafety, NoViolationWithinAssumptionsOver200Seeds) {
  int grants = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Scenario s(5, true, {.restart_delay = 1s}, {.seed = seed});
    const lock::LockOptions options{.ttl = 1s,
                                    .drift_factor = 0.01,
                                    .retry = {.count = 20, .delay = 100ms, .jitter = 100ms},
                                    .fencing = true};
    sim::Rng rng = s.world.fork_rng("test/workload");
    std::vector<sim::ProcessId> clients;
    for (int c = 0; c < 3; ++c) {
      clients.push_back(s.client("client-" + std::to_string(c), Algorithm::redlock, options,
                                 {.key = "job",
                                  .iterations = 4,
                                  .start_after = sim::Duration(rng.between(0, 500'000'000)),
                                  .acquire_timeout = 3s,
                                  .writes = 2,
                                  .hold = sim::Duration(rng.between(1'000'000, 400'000'000)),
                                  .think = sim::Duration(rng.between(0, 200'000'000))}));
    }
    sim::Rng faults = s.world.fork_rng("test/faults");
    for (const sim::Fault& f : properties::within_redlock_assumptions(
             faults, {.masters = s.redis, .clients = clients}, {.horizon = 8s})) {
      s.fault(f.at.time_since_epoch(), f.action);
    }
    s.run(30s);
    ASSERT_NE(s.result.status, sim::RunStatus::failed) << "seed " << seed << ": " << s.result.detail;
    ASSERT_TRUE(ok(s.mutual_exclusion)) << "seed " << seed << ": " << s.mutual_exclusion.summary;
    ASSERT_TRUE(ok(s.resource_safety)) << "seed " << seed << ": " << s.resource_safety.summary;
    grants += s.grants();
  }
  EXPECT_GT(grants, 200 * 3);  // the workload really ran: most attempts got the lock
}

}  // namespace
}  // namespace locklab::testing
