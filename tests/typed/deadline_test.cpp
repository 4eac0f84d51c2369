// Deadlines and stop tokens, the same on simulated and real servers: an
// acquire that keeps meeting another client's key returns `timed_out` by its
// deadline, having used it; one whose deadline has already passed sends
// nothing; and a stop during a retrying acquire returns `cancelled` at once.
#include <gtest/gtest.h>

#include <optional>
#include <stop_token>
#include <vector>

#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;

template <typename E>
class TypedDeadline : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedDeadline, Envs);

// Retries every 50 ms against a held key, deadline 800 ms: `timed_out`
// after several attempts (the last refused by every node), returned no
// earlier than one retry delay before the deadline and no later than the
// slack after it.
TYPED_TEST(TypedDeadline, AcquireAgainstAHeldKeyReturnsByItsDeadline) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock holder(ctx.other(), options(5s));
    auto held = holder.acquire("job", ctx.now() + 1s);
    ASSERT_TRUE(held.acquired()) << show(held);
    Lock lock(ctx.backend(), options(2s, 1000, 50ms));
    const auto deadline = ctx.now() + 800ms;
    auto got = lock.acquire("job", deadline);
    const auto returned = ctx.now();
    EXPECT_EQ(got.outcome, Outcome::timed_out) << show(got);
    EXPECT_GT(got.attempts, 5) << show(got);
    EXPECT_GE(returned, deadline - 50ms);
    EXPECT_LE(returned, deadline + kSlack);
    ASSERT_EQ(got.nodes.size(), ctx.nodes()) << show(got);
    for (const lock::NodeOutcome& n : got.nodes) {
      EXPECT_TRUE(n.result && n.result->is_nil()) << "node " << n.node << ": " << show(n.result);
    }
    EXPECT_EQ(holder.release(*held.lease).outcome, Outcome::released);
  });
}

// A deadline already in the past: `timed_out` with no attempt and nothing
// sent — the key stays free.
TYPED_TEST(TypedDeadline, ADeadlineAlreadyPassedSendsNothing) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock lock(ctx.backend(), options(2s, 3));
    auto got = lock.acquire("job", ctx.now() - 1ms);
    EXPECT_EQ(got.outcome, Outcome::timed_out) << show(got);
    EXPECT_EQ(got.attempts, 0);
    EXPECT_TRUE(got.nodes.empty()) << show(got);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"EXISTS", "job"}), lock::Reply::integer_reply(0)) << "node " << n;
    }
  });
}

// Retries every 200 ms against a held key, deadline 10 s; a stop fires at
// 300 ms, in the middle of a retry delay (attempts go out at 0, 200 and
// 400 ms), so no request is out when it comes: `cancelled`, not
// indeterminate, within the slack of the stop and long before the deadline.
TYPED_TEST(TypedDeadline, StopDuringARetryingAcquireReturnsCancelledPromptly) {
  using Lock = LockFor<TypeParam>;
  using Backend = typename TypeParam::Backend;
  TypeParam::run([](auto& ctx) {
    Lock holder(ctx.other(), options(5s));
    auto held = holder.acquire("job", ctx.now() + 1s);
    ASSERT_TRUE(held.acquired()) << show(held);
    Lock lock(ctx.backend(), options(2s, 1000, 200ms));
    std::stop_source stop;
    std::optional<typename Backend::time_point> fired;
    std::optional<Task<Backend>> stopper;
    stopper.emplace(ctx.backend(), [&] {
      ctx.sleep_for(300ms);
      fired = ctx.now();
      stop.request_stop();
    });
    auto got = lock.acquire("job", ctx.now() + 10s, stop.get_token());
    const auto returned = ctx.now();
    stopper.reset();  // joins: `fired` is set
    ASSERT_TRUE(fired.has_value());
    EXPECT_EQ(got.outcome, Outcome::cancelled) << show(got);
    EXPECT_EQ(got.attempts, 2) << show(got);
    EXPECT_GE(returned, *fired);
    EXPECT_LE(returned, *fired + kSlack);
    EXPECT_EQ(holder.release(*held.lease).outcome, Outcome::released);
  });
}

}  // namespace
}  // namespace locklab::typed
