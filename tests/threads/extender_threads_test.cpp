// AutoExtender on real threads: the holder reads the lease while the
// watchdog renews it, and stop() returns only after the watchdog — its
// loss callback included — has finished. Before the extender kept its
// shared state behind a mutex, `lease()` copied the node list while a
// renewal replaced it (TSan: a data race; at worst a use after free), and
// stop() gave up waiting after a guessed four node timeouts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "fake_redis.hpp"
#include "locklab/lock/auto_extend.hpp"
#include "locklab/lock/redlock.hpp"
#include "test_support.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;
using lock::ExtenderState;
using lock::Outcome;
using Lock = lock::RedLock<ThreadBackend>;

// A 600 ms lease, renewed whenever a third of it is left, for 1.5 s, while
// the holder reads lease(), state() and renewals() from another thread as
// fast as it can. Every read sees a lease granted by a quorum.
TEST(ThreadAutoExtender, TheHolderReadsTheLeaseWhileTheWatchdogRenewsIt) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  Lock redlock(backend, {.ttl = 600ms, .node_timeout = 100ms});
  auto got = redlock.acquire("orders", backend.now() + 1s);
  ASSERT_TRUE(got.acquired()) << got.detail;
  lock::AutoExtender<Lock> keep(redlock, std::move(*got.lease));
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      const std::optional<Lock::LeaseType> l = keep.lease();
      if (!l || l->nodes.size() < 2 || keep.state() != ExtenderState::holding) ++bad;
      ++reads;
    }
  });
  std::this_thread::sleep_for(1500ms);
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 100);
  EXPECT_GE(keep.renewals(), 2);
  EXPECT_EQ(keep.state(), ExtenderState::holding);
  EXPECT_EQ(keep.release().outcome, Outcome::released);
  EXPECT_EQ(keep.state(), ExtenderState::stopped);
  for (std::size_t n = 0; n < 3; ++n) EXPECT_FALSE(redis.exists(n, "orders"));
}

// The loss callback runs on the watchdog task and takes its time; stop()
// called meanwhile returns only once the callback has returned, so nothing
// the callback touches can be gone under it.
TEST(ThreadAutoExtender, StopWaitsForTheWatchdogAndItsLossCallbackToFinish) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  // A node timeout small next to the callback's 300 ms: a stop() that waited
  // a few node timeouts instead of for the watchdog would return mid-callback.
  lock::SingleNodeLock<ThreadBackend> single(backend, {.ttl = 300ms, .node_timeout = 10ms});
  auto got = single.acquire("orders", backend.now() + 1s);
  ASSERT_TRUE(got.acquired()) << got.detail;
  std::atomic<bool> callback_started{false}, callback_finished{false};
  std::atomic<Outcome> why{Outcome::acquired};
  lock::AutoExtender<lock::SingleNodeLock<ThreadBackend>> keep(
      single, std::move(*got.lease), [&](Outcome o) {
        why = o;
        callback_started = true;
        std::this_thread::sleep_for(300ms);  // 30 node timeouts
        callback_finished = true;
      });
  redis.set_down(0, true);  // the next renewal fails: lost
  ASSERT_TRUE(eventually([&] { return callback_started.load(); }));
  keep.stop();
  EXPECT_TRUE(callback_finished.load()) << "stop() returned while the watchdog still ran";
  EXPECT_EQ(why.load(), Outcome::lost);
  EXPECT_EQ(keep.state(), ExtenderState::lost);
  EXPECT_FALSE(keep.lease().has_value());
}

// If the backend cannot start the watchdog, the extender says so at once —
// stopped, never renewing — and the lease stays usable to its end.
TEST(ThreadAutoExtender, AWatchdogThatCannotStartLeavesTheExtenderStopped) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  lock::SingleNodeLock<ThreadBackend> single(backend, {.ttl = 10s});
  auto got = single.acquire("orders", backend.now() + 1s);
  ASSERT_TRUE(got.acquired()) << got.detail;
  backend.fail_spawns(true);
  lock::AutoExtender<lock::SingleNodeLock<ThreadBackend>> keep(single, std::move(*got.lease));
  EXPECT_EQ(keep.state(), ExtenderState::stopped);
  EXPECT_TRUE(keep.lease().has_value());
  EXPECT_EQ(keep.release().outcome, Outcome::released);
}

}  // namespace
}  // namespace locklab::testing
