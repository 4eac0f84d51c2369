// The classic arguments about Redis locks, each replayed as a story in a
// seeded world and judged by the checkers (mutual exclusion by belief, and
// resource safety on the protected storage's log).
#include <gtest/gtest.h>

#include "lock/scenario.hpp"
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
