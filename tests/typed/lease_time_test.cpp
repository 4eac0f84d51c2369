// How long a lease lasts, the same on simulated and real servers: extend
// renews the TTL on every node, so the key outlives its first TTL; without
// it the key expires and another client acquires, after which the first
// holder can neither extend nor release it.
#include <gtest/gtest.h>

#include <vector>

#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;

template <typename E>
class TypedLeaseTime : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedLeaseTime, Envs);

// A 1 s lease extended after 600 ms: its validity end moves later, every
// node's PTTL is back above what was left (400 ms), and at 1.2 s — past the
// first TTL — a second client is still refused.
TYPED_TEST(TypedLeaseTime, ExtendRenewsTheTtlOnEveryNode) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock holder(ctx.backend(), options(1s));
    Lock second(ctx.other(), options(1s));
    std::vector<Outcome> story;
    auto held = holder.acquire("job", ctx.now() + 1s);
    story.push_back(held.outcome);
    ASSERT_TRUE(held.acquired()) << show(held);
    ctx.sleep_for(600ms);
    const auto first_end = held.lease->validity_end;
    auto extended = holder.extend(*held.lease, ctx.now() + 1s);
    story.push_back(extended.outcome);
    EXPECT_GT(held.lease->validity_end, first_end + 500ms);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      const lock::NodeResult ttl = ctx.raw(n, {"PTTL", "job"});
      ASSERT_TRUE(ttl && ttl->type == lock::ReplyType::integer) << show(ttl);
      EXPECT_GT(ttl->integer, 600) << "node " << n;
    }
    ctx.sleep_for(600ms);
    story.push_back(second.try_acquire("job", ctx.now() + 1s).outcome);
    story.push_back(holder.release(*held.lease).outcome);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::acquired, Outcome::extended, Outcome::busy,
                                           Outcome::released}));
  });
}

// A 500 ms lease left alone: refused at once, granted to the second client
// 200 ms after the TTL. The first holder's extend is then refused on its own
// clock (`lost`, nothing sent), and its release finds another token
// (`not_held`) and leaves the new holder's key in place.
TYPED_TEST(TypedLeaseTime, AfterTheTtlAnotherClientAcquires) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock first(ctx.backend(), options(500ms));
    Lock second(ctx.other(), options(500ms));
    std::vector<Outcome> story;
    auto held = first.acquire("job", ctx.now() + 1s);
    story.push_back(held.outcome);
    ASSERT_TRUE(held.acquired()) << show(held);
    story.push_back(second.try_acquire("job", ctx.now() + 1s).outcome);
    ctx.sleep_for(700ms);
    auto next = second.try_acquire("job", ctx.now() + 1s);
    story.push_back(next.outcome);
    ASSERT_TRUE(next.acquired()) << show(next);
    auto late = first.extend(*held.lease, ctx.now() + 1s);
    story.push_back(late.outcome);
    EXPECT_TRUE(late.nodes.empty()) << "an expired lease sent an extend: " << show(late);
    story.push_back(first.release(*held.lease).outcome);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"GET", "job"}), lock::Reply::bulk(next.lease->token)) << "node " << n;
    }
    story.push_back(second.release(*next.lease).outcome);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::acquired, Outcome::busy, Outcome::acquired,
                                           Outcome::lost, Outcome::not_held, Outcome::released}));
  });
}

}  // namespace
}  // namespace locklab::typed
