// The watchdog (AutoExtender), the same on simulated and real servers: it
// keeps a 600 ms lease for seconds, and when the key is deleted or taken
// behind its back it tells the holder once — the callback, with `lost` —
// and the holder sees no lease from then on.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "locklab/lock/auto_extend.hpp"
#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::ExtenderState;
using lock::Outcome;

template <typename E>
class TypedWatchdog : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedWatchdog, Envs);

// Held for 2 s, more than three TTLs: renewed at least three times (about
// every 390 ms), a second client is refused at 1 s and 2 s, and once the
// holder releases, the second client gets in.
TYPED_TEST(TypedWatchdog, KeepsALeasePastItsTtl) {
  using Lock = LockFor<TypeParam>;
  TypeParam::run([](auto& ctx) {
    Lock holder(ctx.backend(), options(600ms));
    Lock second(ctx.other(), options(600ms));
    std::vector<Outcome> story;
    std::atomic<int> lost_calls{0};
    auto held = holder.acquire("job", ctx.now() + 1s);
    ASSERT_TRUE(held.acquired()) << show(held);
    {
      lock::AutoExtender<Lock> keep(holder, std::move(*held.lease), [&](Outcome) { ++lost_calls; });
      for (int i = 0; i < 2; ++i) {
        ctx.sleep_for(1s);
        story.push_back(second.try_acquire("job", ctx.now() + 1s).outcome);
      }
      EXPECT_GE(keep.renewals(), 3);
      EXPECT_EQ(keep.state(), ExtenderState::holding);
      EXPECT_TRUE(keep.lease().has_value());
      story.push_back(keep.release().outcome);
    }
    story.push_back(second.try_acquire("job", ctx.now() + 1s).outcome);
    EXPECT_EQ(lost_calls.load(), 0);
    EXPECT_EQ(story, (std::vector<Outcome>{Outcome::busy, Outcome::busy, Outcome::released,
                                           Outcome::acquired}));
  });
}

// Holds a lease under a watchdog, does `behind_its_back` to every node after
// 100 ms, and checks that the holder is told within a TTL (+ slack), once,
// with `lost`, and holds nothing afterwards. Returns the extender's release.
template <typename E>
void check_loss_is_reported(typename E::Context& ctx, const std::vector<std::string>& behind_its_back,
                            Outcome expected_release) {
  using Lock = LockFor<E>;
  using Backend = typename E::Backend;
  Lock holder(ctx.backend(), options(600ms));
  auto held = holder.acquire("job", ctx.now() + 1s);
  ASSERT_TRUE(held.acquired()) << show(held);
  auto told = std::make_shared<typename Backend::Event>(ctx.backend());
  std::atomic<int> calls{0};
  std::optional<Outcome> why;  // written before `told` is set, read after
  lock::AutoExtender<Lock> keep(holder, std::move(*held.lease), [&, told](Outcome o) {
    why = o;
    ++calls;
    told->set();
  });
  ctx.sleep_for(100ms);
  for (std::size_t n = 0; n < ctx.nodes(); ++n) {
    const lock::NodeResult r = ctx.raw(n, behind_its_back);
    ASSERT_TRUE(r && !r->is_error()) << "node " << n << ": " << show(r);
  }
  const auto status = told->wait_until(ctx.now() + 600ms + kSlack, std::stop_token{});
  ASSERT_EQ(status, lock::WaitStatus::signalled) << "the holder was never told";
  EXPECT_EQ(why, std::optional<Outcome>(Outcome::lost));
  EXPECT_EQ(keep.state(), ExtenderState::lost);
  EXPECT_FALSE(keep.holding());
  EXPECT_FALSE(keep.lease().has_value());
  ctx.sleep_for(700ms);  // a watchdog that went on would call again
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(keep.release().outcome, expected_release);
}

// DEL on every node: the next renewal finds no key. The release then finds
// nothing to delete.
TYPED_TEST(TypedWatchdog, TellsTheHolderWhenTheKeyIsDeleted) {
  TypeParam::run([](auto& ctx) {
    check_loss_is_reported<TypeParam>(ctx, {"DEL", "job"}, Outcome::not_held);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"EXISTS", "job"}), lock::Reply::integer_reply(0)) << "node " << n;
    }
  });
}

// Another value on every node: the renewal's compare fails. The watchdog
// neither renews nor deletes the thief's key; the release leaves it too.
TYPED_TEST(TypedWatchdog, TellsTheHolderWhenTheKeyIsStolen) {
  TypeParam::run([](auto& ctx) {
    check_loss_is_reported<TypeParam>(ctx, {"SET", "job", "thief", "PX", "10000"}, Outcome::not_held);
    for (std::size_t n = 0; n < ctx.nodes(); ++n) {
      EXPECT_EQ(ctx.raw(n, {"GET", "job"}), lock::Reply::bulk("thief")) << "node " << n;
    }
  });
}

}  // namespace
}  // namespace locklab::typed
