// Acquire, contention and owner-only release, the same on simulated and real
// servers: a grant puts the holder's token on every node with the TTL; while
// it is held a second client is refused by every node; and only the token's
// owner can delete the key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "locklab/lock/token.hpp"
#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;

template <typename E>
class TypedAcquire : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedAcquire, Envs);

// A grant: 32 hex digits of token, on every node, with a PTTL within the
// TTL; the lease names every node and is believed for less than the TTL.
// The release deletes it everywhere.
TYPED_TEST(TypedAcquire, GrantPutsTheTokenOnEveryNode) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock lock(ctx.backend(), options(2s));
    const auto before = ctx.now();
    auto got = lock.acquire("job", ctx.now() + 1s);
    ASSERT_EQ(got.outcome, Outcome::acquired) << show(got);
    ASSERT_TRUE(got.lease.has_value());
    EXPECT_EQ(got.lease->token.size(), 32u);
    EXPECT_EQ(got.lease->nodes, all_nodes(ctx.nodes()));
    EXPECT_GE(got.lease->attempt_started, before);
    EXPECT_GT(got.lease->validity_end, got.lease->attempt_started);
    EXPECT_LT(got.lease->validity_end, got.lease->attempt_started + 2s);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"GET", "job"}), lock::Reply::bulk(got.lease->token)) << "node " << n;
      const lock::NodeResult ttl = ctx.raw(n, {"PTTL", "job"});
      ASSERT_TRUE(ttl && ttl->type == lock::ReplyType::integer) << show(ttl);
      EXPECT_GT(ttl->integer, 0) << "node " << n;
      EXPECT_LE(ttl->integer, 2000) << "node " << n;
    }
    const auto released = lock.release(*got.lease);
    EXPECT_EQ(released.outcome, Outcome::released) << show(released);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"EXISTS", "job"}), lock::Reply::integer_reply(0)) << "node " << n;
    }
  });
}

// While the first client holds the key, every node refuses the second one's
// SET NX (a nil reply: another holder), so it is `busy` — not timed out, not
// indeterminate. Once the first releases, the second gets in.
TYPED_TEST(TypedAcquire, SecondClientIsRefusedWhileTheFirstHolds) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock first(ctx.backend(), options(5s));
    Lock second(ctx.other(), options(5s));
    std::vector<Outcome> story;
    auto held = first.acquire("job", ctx.now() + 1s);
    story.push_back(held.outcome);
    ASSERT_TRUE(held.acquired()) << show(held);
    auto refused = second.try_acquire("job", ctx.now() + 1s);
    story.push_back(refused.outcome);
    EXPECT_FALSE(refused.lease.has_value());
    ASSERT_EQ(refused.nodes.size(), ctx.nodes()) << show(refused);
    for (const lock::NodeOutcome& n : refused.nodes) {
      EXPECT_TRUE(n.result && n.result->is_nil()) << "node " << n.node << ": " << show(n.result);
    }
    story.push_back(first.release(*held.lease).outcome);
    auto next = second.try_acquire("job", ctx.now() + 1s);
    story.push_back(next.outcome);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::acquired, Outcome::busy, Outcome::released,
                                           Outcome::acquired}));
  });
}

// A release with another token — a second client's, or the holder's lease
// with its token changed — deletes nothing: `not_held`, every node answering
// 0, and the holder's token still in place. The holder's own release works
// once; a second release of the same lease is `not_held`.
TYPED_TEST(TypedAcquire, OnlyTheOwnersTokenReleases) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock owner(ctx.backend(), options(5s));
    Lock stranger(ctx.other(), options(5s));
    std::vector<Outcome> story;
    auto held = owner.acquire("job", ctx.now() + 1s);
    story.push_back(held.outcome);
    ASSERT_TRUE(held.acquired()) << show(held);

    auto foreign = stranger.release_token("job", lock::make_token(ctx.other()));
    story.push_back(foreign.outcome);
    for (const lock::NodeOutcome& n : foreign.nodes) {
      EXPECT_EQ(n.result, lock::Reply::integer_reply(0)) << "node " << n.node << ": " << show(n.result);
    }
    auto forged = *held.lease;
    forged.token.back() = forged.token.back() == '0' ? '1' : '0';
    story.push_back(stranger.release(forged).outcome);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"GET", "job"}), lock::Reply::bulk(held.lease->token)) << "node " << n;
    }

    story.push_back(owner.release(*held.lease).outcome);
    story.push_back(owner.release(*held.lease).outcome);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::acquired, Outcome::not_held, Outcome::not_held,
                                           Outcome::released, Outcome::not_held}));
  });
}

}  // namespace
}  // namespace locklab::typed
