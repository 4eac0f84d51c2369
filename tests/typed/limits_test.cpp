// The in-flight bound, the same on simulated and real servers: a client
// allowed one request in flight, whose one slot is taken by a request
// waiting on a frozen server, cannot send its acquire — every node's result
// is `no_slot`, never sent and so never maybe-applied, and the acquire is
// `timed_out` (not indeterminate: nothing can hold the key for it). Once the
// server resumes and the slot is free, the same client acquires.
// Both backends take the bound as an option of the same name
// (sim::LockBackendOptions and hiredis::Options, max_in_flight).
#include <gtest/gtest.h>

#include <vector>

#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;

template <typename E>
class TypedLimits : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedLimits, Envs);

TYPED_TEST(TypedLimits, NoSlotWhenTheOnlyRequestSlotIsTaken) {
  using Lock = LockFor<TypeParam>;
  using Backend = typename TypeParam::Backend;
  TypeParam::run([](auto& ctx) {
    Backend& narrow = ctx.client({.max_in_flight = 1});
    Lock lock(narrow, options(2s));
    std::vector<Outcome> story;
    ctx.freeze(0);
    lock::NodeResult pong;
    {
      Task<Backend> waiting(narrow, [&] { pong = narrow.call(0, {"PING"}, ctx.now() + 3s); });
      ctx.sleep_for(50ms);  // the PING has the slot, and waits on the frozen node
      EXPECT_EQ(narrow.in_flight(), 1u);
      auto got = lock.acquire("job", ctx.now() + 1s);
      story.push_back(got.outcome);
      ASSERT_EQ(got.nodes.size(), ctx.nodes()) << show(got);
      for (const lock::NodeOutcome& n : got.nodes) {
        ASSERT_FALSE(n.result) << "node " << n.node << " answered " << show(n.result);
        EXPECT_EQ(n.result.error().kind, lock::NodeErrorKind::no_slot) << "node " << n.node;
        EXPECT_FALSE(n.result.error().maybe_applied) << "node " << n.node;
      }
      EXPECT_GE(narrow.stats().no_slot, ctx.nodes());
      ctx.resume(0);
    }  // the PING is answered
    EXPECT_EQ(pong, lock::Reply::status("PONG")) << show(pong);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"EXISTS", "job"}), lock::Reply::integer_reply(0)) << "node " << n;
    }
    auto after = lock.acquire("job", ctx.now() + 1s);
    story.push_back(after.outcome);
    ASSERT_TRUE(after.acquired()) << show(after);
    story.push_back(lock.release(*after.lease).outcome);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::timed_out, Outcome::acquired, Outcome::released}));
  });
}

}  // namespace
}  // namespace locklab::typed
