// The classic arguments about Redis locks are scenario files
// (scenarios/*.toml, judged by `locklab check`; what a file cannot say about
// them is in tests/scenarios/runner_test.cpp). This story stays in C++
// because its clients lock with different retry settings.
#include <gtest/gtest.h>

#include "lock/scenario.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

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

  const history::Operation& a_acquire = s.history.operations().front();
  EXPECT_EQ(a_acquire.outcome, "indeterminate");  // short of quorum, releases unconfirmed
  std::optional<sim::TrueTime> b_granted;
  for (const history::Operation& op : s.history.operations()) {
    if (op.client_name == "b" && op.kind == history::OpKind::acquire && op.status == history::OpStatus::ok) {
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
