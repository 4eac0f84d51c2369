// The classic arguments about Redis locks are scenario files
// (scenarios/*.toml, judged by `locklab check`). These stories keep only
// what a file cannot say: how many writes the fenced storage refused, and
// clients that lock with different retry settings.
#include <gtest/gtest.h>

#include "lock/scenario.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

class FencedClientPause : public ::testing::TestWithParam<Algorithm> {};

// scenarios/{single-node,redlock}-gc-pause-fenced.toml: A, paused 1 s with
// a 500 ms lease, writes after B. The files say every checker passes; what
// they cannot say is why: A did write, and the fenced storage refused it.
TEST_P(FencedClientPause, TheStaleWriteIsSentAndRefused) {
  const bool redlock = GetParam() == Algorithm::redlock;
  Scenario s(redlock ? 5 : 1, true);
  const lock::LockOptions options{.ttl = 500ms, .fencing = true};
  const sim::ProcessId a = s.client("a", GetParam(), options, {.key = "job", .hold = 100ms});
  s.client("b", GetParam(), options, {.key = "job", .start_after = 600ms, .hold = 10ms});
  s.fault(50ms, sim::ProcessPause{a});
  s.fault(1050ms, sim::ProcessResume{a});
  s.run(3s);

  ASSERT_NE(s.result.status, sim::RunStatus::failed) << s.result.detail;
  EXPECT_EQ(s.grants(), 2);
  EXPECT_EQ(s.writes(true), 1);   // B's
  EXPECT_EQ(s.writes(false), 1);  // A's stale write, refused
}

INSTANTIATE_TEST_SUITE_P(Locks, FencedClientPause, ::testing::Values(Algorithm::single_node, Algorithm::redlock),
                         [](const auto& param_info) {
                           return std::string(param_info.param == Algorithm::redlock ? "RedLock" : "SingleNode");
                         });

// A RedLock master pair is paused while A's SET NX is queued on them: A's
// requests time out, its attempt fails short of quorum, and it releases on
// every node — the releases queue on the paused nodes too, on new
// connections. On resume the nodes apply the queued SET and the release in
// whatever order they arrived; if the SET comes last, the key stays for one
// TTL. Either way B is blocked no longer than the TTL after the resume, and
// the checkers find nothing. A and B lock with different retry settings
// (A gives up after one attempt, B keeps trying), which a scenario file,
// one [algorithm] for every client, cannot say.
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

}  // namespace
}  // namespace locklab::testing
