// The simulated environment stays deterministic: the same typed-suite body
// run twice gives the same trace, byte for byte (equal trace hashes), and a
// body that does one thing more gives another.
#include <gtest/gtest.h>

#include <cstdint>

#include "locklab/lock/auto_extend.hpp"
#include "typed/sim_env.hpp"

namespace locklab::typed {
namespace {

using Lock = LockFor<SimEnv<5>>;

// Contention, a watchdog on its own fiber, a server restart and a release:
// most of what the suite's environments do. With `restart` false the run
// skips the restart.
std::uint64_t story(bool restart) {
  return run_sim(5, [restart](SimContext& ctx) {
    Lock holder(ctx.backend(), options(600ms));
    Lock second(ctx.other(), options(600ms));
    auto held = holder.acquire("job", ctx.now() + 1s);
    ASSERT_TRUE(held.acquired()) << show(held);
    lock::AutoExtender<Lock> keep(holder, std::move(*held.lease));
    ctx.sleep_for(1s);
    EXPECT_EQ(second.try_acquire("job", ctx.now() + 1s).outcome, lock::Outcome::busy);
    if (restart) ctx.restart(4);
    EXPECT_EQ(keep.release().outcome, lock::Outcome::released);
  });
}

TEST(TypedSimEnv, TheSameBodyGivesTheSameTrace) {
  const std::uint64_t first = story(true);
  EXPECT_EQ(story(true), first);
  EXPECT_NE(story(false), first);
}

}  // namespace
}  // namespace locklab::typed
