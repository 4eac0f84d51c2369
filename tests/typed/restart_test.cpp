// A server restarted without persistence comes back with an empty script
// cache; the same on simulated and real servers, the locks' EVALSHA then
// meets NOSCRIPT and falls back to EVAL on the same connection, so extend
// and release work as before (`extended`, `released`) — and the client's
// pooled connections, broken by the restart, are replaced without costing
// the acquire an attempt.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "locklab/lock/scripts.hpp"
#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;
using lock::Reply;

template <typename E>
class TypedRestart : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedRestart, Envs);

TYPED_TEST(TypedRestart, ExtendAndReleaseAfterARestartFallBackToEval) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock lock(ctx.backend(), options(5s));
    std::vector<Outcome> story;
    const std::vector<std::string> cached = {"SCRIPT", "EXISTS", std::string(lock::scripts::release.sha1),
                                             std::string(lock::scripts::extend.sha1)};
    auto first = lock.acquire("job", ctx.now() + 1s);
    story.push_back(first.outcome);
    ASSERT_TRUE(first.acquired()) << show(first);
    story.push_back(lock.extend(*first.lease, ctx.now() + 1s).outcome);
    story.push_back(lock.release(*first.lease).outcome);
    const Reply both = Reply::array({Reply::integer_reply(1), Reply::integer_reply(1)});
    const Reply none = Reply::array({Reply::integer_reply(0), Reply::integer_reply(0)});
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, cached), both) << "node " << n << " has not cached the scripts";
    }

    for (std::size_t n = 0; n < ctx.nodes(); ++n) ctx.restart(n);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, cached), none) << "node " << n << " kept its script cache";
    }

    auto again = lock.acquire("job", ctx.now() + 1s);
    story.push_back(again.outcome);
    ASSERT_TRUE(again.acquired()) << show(again);
    EXPECT_EQ(again.attempts, 1) << show(again);
    auto extended = lock.extend(*again.lease, ctx.now() + 1s);
    story.push_back(extended.outcome);
    for (const lock::NodeOutcome& n : extended.nodes) {
      EXPECT_FALSE(lock::is_noscript(n.result)) << "node " << n.node << " showed NOSCRIPT";
    }
    auto released = lock.release(*again.lease);
    story.push_back(released.outcome);
    for (const lock::NodeOutcome& n : released.nodes) {
      EXPECT_EQ(n.result, Reply::integer_reply(1)) << "node " << n.node << ": " << show(n.result);
    }
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"EXISTS", "job"}), Reply::integer_reply(0)) << "node " << n;
      EXPECT_EQ(ctx.raw(n, cached), both) << "node " << n << ": the EVAL fallback did not cache";
    }
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::acquired, Outcome::extended, Outcome::released,
                                           Outcome::acquired, Outcome::extended, Outcome::released}));
  });
}

}  // namespace
}  // namespace locklab::typed
