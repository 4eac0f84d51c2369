// LockManager on real threads: waiters that give up while their acquire is
// in flight, a contender that cannot be started, a manager destroyed with
// contenders running, and many threads on a few keys. Each of these lost a
// lock, wedged a key or raced under threads before the manager synchronised
// its waiters and joined its contenders.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "fake_redis.hpp"
#include "locklab/lock/manager.hpp"
#include "locklab/lock/redlock.hpp"
#include "test_support.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;
using lock::Outcome;
using Lock = lock::SingleNodeLock<ThreadBackend>;
using Manager = lock::LockManager<Lock>;

// The waiter's deadline passes while its SET is still on the way to the
// node (the node answers after a second). Whatever the attempt left — a SET
// that lands after the deadline, or a grant that came back as the waiter
// gave up — goes at once, not after the 30 s TTL, and the handle never
// holds.
TEST(ThreadManager, AWaiterThatTimesOutWhileItsAcquireIsInFlightLeavesNothingHeld) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 30s, .node_timeout = 2s});
  Manager manager(single);
  redis.set_delay(0, 1s);
  auto h = manager.lock("orders", 30s, backend.now() + 300ms);
  const auto r = h.wait();
  EXPECT_EQ(r.outcome, Outcome::timed_out);
  EXPECT_TRUE(eventually([&] { return redis.commands_seen(0) >= 1; }, 5s)) << "the SET was sent";
  EXPECT_TRUE(eventually(
      [&] { return redis.in_transit(0) == 0 && !redis.exists(0, "orders") && manager.queued("orders") == 0; },
      5s));
  EXPECT_FALSE(h.holds());
  EXPECT_EQ(h.wait().outcome, Outcome::timed_out) << "asked again, the same answer";
  EXPECT_EQ(h.unlock().outcome, Outcome::invalid);
}

// The same with the handle destroyed, and with the caller's stop token.
TEST(ThreadManager, AHandleDestroyedOrStoppedWhileInFlightLeavesNothingHeld) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 30s, .node_timeout = 2s});
  Manager manager(single);
  redis.set_delay(0, 100ms);
  {
    auto h = manager.lock("a", 30s);
    ASSERT_TRUE(eventually([&] { return redis.in_transit(0) > 0; }));
  }  // destroyed while its SET is on its way
  std::stop_source stop;
  auto h = manager.lock("b", 30s);
  std::thread stopper([&] {
    (void)eventually([&] { return redis.in_transit(0) > 0 || redis.exists(0, "b"); });
    stop.request_stop();
  });
  EXPECT_EQ(h.wait(stop.get_token()).outcome, Outcome::cancelled);
  stopper.join();
  EXPECT_FALSE(h.holds());
  EXPECT_TRUE(eventually([&] {
    return !redis.exists(0, "a") && !redis.exists(0, "b") && manager.queued("a") == 0 &&
           manager.queued("b") == 0;
  }));
}

// A result that arrived is the handle's, even when wait() was giving up at
// that moment: holds() and wait() never disagree. (A give-up may leave a SET
// in flight that lands after the attempt's undo, on another connection: each
// round takes its own key, and such a key frees by its TTL.)
TEST(ThreadManager, HoldsNeverTurnsTrueAfterWaitGaveUp) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 30s, .node_timeout = 2s});
  Manager manager(single);
  for (int i = 0; i < 40; ++i) {
    const std::string key = "k" + std::to_string(i);
    redis.set_delay(0, std::chrono::microseconds(200 + 50 * (i % 5)));
    auto h = manager.lock(key, 30s, backend.now() + std::chrono::microseconds(100 + 60 * (i % 7)));
    const auto r = h.wait();
    std::this_thread::sleep_for(1ms);
    EXPECT_EQ(h.holds(), r.acquired()) << "round " << i;
    if (r.acquired()) {
      EXPECT_EQ(h.unlock().outcome, Outcome::released);
    }
    ASSERT_TRUE(eventually([&] { return manager.queued(key) == 0; })) << "round " << i;
    EXPECT_FALSE(h.holds()) << "round " << i;
  }
}

// The backend cannot start the contender: the waiter hears it at once, and
// the key is not wedged — the next lock() starts a contender and succeeds.
TEST(ThreadManager, AFailedSpawnCancelsTheWaiterAndLeavesTheKeyUsable) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 30s, .node_timeout = 2s});
  Manager manager(single);
  backend.fail_spawns(true);
  auto refused = manager.lock("orders", 30s, backend.now() + 1s);
  const auto r = refused.wait();
  EXPECT_EQ(r.outcome, Outcome::cancelled);
  EXPECT_NE(r.detail.find("could not start"), std::string::npos) << r.detail;
  EXPECT_EQ(manager.queued("orders"), 0u);
  backend.fail_spawns(false);
  auto h = manager.lock("orders", 30s, backend.now() + 1s);
  EXPECT_EQ(h.wait().outcome, Outcome::acquired);
  EXPECT_EQ(h.unlock().outcome, Outcome::released);
}

// The manager goes while contenders are in flight and waiters are queued:
// its destructor stops and joins them (they captured the manager's state),
// queued waiters hear `cancelled`, and nothing runs on afterwards.
TEST(ThreadManager, DestroyingTheManagerStopsAndJoinsItsContenders) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 30s, .node_timeout = 2s});
  redis.set_delay(0, 50ms);
  std::vector<std::optional<Manager::Handle>> handles;
  {
    Manager manager(single);
    for (int i = 0; i < 3; ++i) {
      for (const char* key : {"a", "b", "c"}) handles.emplace_back(manager.lock(key, 30s));
    }
    ASSERT_TRUE(eventually([&] { return redis.in_transit(0) > 0; }));
  }
  // Requests already sent may still land (the caller was told maybe_applied);
  // after them, nothing new may arrive.
  ASSERT_TRUE(eventually([&] { return redis.in_transit(0) == 0; }));
  const std::uint64_t seen = redis.commands_seen(0);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(redis.commands_seen(0), seen) << "a contender ran on after the manager was gone";
  int cancelled = 0;
  for (auto& h : handles) {
    const auto r = h->wait();
    if (r.outcome == Outcome::cancelled) ++cancelled;
    if (r.acquired()) {
      EXPECT_EQ(h->unlock().outcome, Outcome::released);  // handles outlive the manager
    }
  }
  EXPECT_GE(cancelled, 6) << "at least the waiters queued behind each key";
}

// Many threads, a few keys, deadlines that sometimes pass in the queue: per
// key at most one handle holds at a time, and at the end nothing is queued
// and nothing is left in Redis without a TTL.
TEST(ThreadManager, ManyThreadsOnAFewKeysKeepMutualExclusion) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3, {.seed = 5});
  // A waiter that gives up may leave a SET in flight that lands after its
  // undo (see the end): that key is then held by nobody until its TTL, so
  // the TTL is kept shorter than a patient waiter's patience (5 s).
  lock::RedLock<ThreadBackend> redlock(backend, {.ttl = 4s, .node_timeout = 2s});
  lock::LockManager<lock::RedLock<ThreadBackend>> manager(redlock);
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  std::atomic<int> holders[3] = {0, 0, 0};
  std::atomic<int> overlaps{0}, acquired{0}, gave_up{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const int k = (t * 7 + round) % 3;
        const auto patience = (round % 4 == 0) ? 1ms : 5s;
        auto h = manager.lock("key-" + std::to_string(k), 4s, backend.now() + patience);
        const auto r = h.wait();
        if (!r.acquired()) {
          ++gave_up;
          continue;
        }
        ++acquired;
        if (holders[k].fetch_add(1) != 0) ++overlaps;
        std::this_thread::sleep_for(100us);
        holders[k].fetch_sub(1);
        if (round % 3 != 0) {
          EXPECT_EQ(h.unlock().outcome, Outcome::released);
        }  // else: the handle's destructor unlocks
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(acquired.load() + gave_up.load(), kThreads * kRounds);
  EXPECT_GT(acquired.load(), kThreads * kRounds / 2);
  // A waiter that gave up may have left a SET in flight that lands after its
  // attempt's undo (another connection): like any indeterminate attempt,
  // that key frees by its TTL — it must have one.
  for (const char* key : {"key-0", "key-1", "key-2"}) {
    EXPECT_TRUE(eventually([&] { return manager.queued(key) == 0; })) << key;
    for (std::size_t n = 0; n < 3; ++n) {
      const lock::NodeResult ttl = redis.request(n, {"PTTL", key});
      ASSERT_TRUE(ttl.has_value());
      EXPECT_TRUE(ttl->integer == -2 || ttl->integer > 0) << key << " on node " << n << ": " << show(ttl);
    }
  }
}

}  // namespace
}  // namespace locklab::testing
