// NamedMutex shared by threads the way a std::mutex is: a second thread
// waits locally (no second acquire reaches Redis), unlock by a thread that
// does not hold it and a recursive lock are the errors std::mutex reports,
// and a plain counter guarded by it is race-free under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "fake_redis.hpp"
#include "locklab/lock/mutex.hpp"
#include "locklab/lock/redlock.hpp"
#include "test_support.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;
using Lock = lock::SingleNodeLock<ThreadBackend>;
using Mutex = lock::NamedMutex<Lock>;

// One thread holds; another's lock() waits in the process, sending nothing
// to Redis, and gets the mutex as soon as the first unlocks.
TEST(ThreadNamedMutex, ASecondThreadWaitsLocallyAndNeverAsksRedisWhileTheFirstHolds) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 10s, .node_timeout = 2s, .retry = {.count = 1000, .delay = 1ms, .jitter = 0ms}});
  Mutex m(single, "orders", 5s);
  m.lock();
  const std::uint64_t seen = redis.commands_seen(0);
  std::atomic<bool> second_holds{false};
  std::thread second([&] {
    std::lock_guard held(m);
    second_holds = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(second_holds.load());
  EXPECT_EQ(redis.commands_seen(0), seen) << "the waiting thread asked Redis";
  m.unlock();
  second.join();
  EXPECT_TRUE(second_holds.load());
  EXPECT_FALSE(redis.exists(0, "orders"));
}

// try_lock() and try_lock_for() from another thread give up locally.
TEST(ThreadNamedMutex, TryLockFromAnotherThreadGivesUpWithoutAskingRedis) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 10s, .node_timeout = 2s});
  Mutex m(single, "orders", 5s);
  m.lock();
  const std::uint64_t seen = redis.commands_seen(0);
  std::thread other([&] {
    EXPECT_FALSE(m.try_lock());
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(m.try_lock_for(50ms));
    EXPECT_GE(std::chrono::steady_clock::now() - started, 50ms);
  });
  other.join();
  EXPECT_EQ(redis.commands_seen(0), seen);
  m.unlock();
}

// The errors std::mutex implementations report for the same mistakes.
TEST(ThreadNamedMutex, UnlockByANonOwnerAndARecursiveLockThrowTheStandardErrors) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 10s, .node_timeout = 2s});
  Mutex m(single, "orders", 1s);
  try {
    m.unlock();
    ADD_FAILURE() << "unlock() of a mutex nobody holds";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
  }
  m.lock();
  std::thread other([&] {
    try {
      m.unlock();
      ADD_FAILURE() << "unlock() by a thread that does not hold it";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
    }
  });
  other.join();
  try {
    m.lock();
    ADD_FAILURE() << "a recursive lock()";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::resource_deadlock_would_occur);
  }
  EXPECT_THROW((void)m.try_lock(), std::system_error);
  EXPECT_TRUE(m.lease().has_value()) << "the mistakes left the owner holding";
  m.unlock();
  EXPECT_FALSE(redis.exists(0, "orders"));
}

// A timeout of hours::max() does not overflow into the past.
TEST(ThreadNamedMutex, AnEndlessTimeoutDoesNotOverflow) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 10s, .node_timeout = 2s});
  Mutex m(single, "orders", std::chrono::nanoseconds::max());
  EXPECT_TRUE(m.try_lock_for(std::chrono::hours::max()));
  m.unlock();
  m.lock();
  m.unlock();
}

// Six threads increment a plain int under the named mutex: no increment is
// lost, and TSan sees every access ordered by the mutex.
TEST(ThreadNamedMutex, GuardsAPlainCounterAcrossThreads) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  Lock single(backend, {.ttl = 10s, .node_timeout = 2s, .retry = {.count = 1000, .delay = 1ms, .jitter = 0ms}});
  Mutex m(single, "counter", 10s);
  int counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        std::unique_lock held(m);
        const int seen = counter;
        std::this_thread::yield();
        counter = seen + 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter, 6 * 25);
  EXPECT_FALSE(redis.exists(0, "counter"));
}

}  // namespace
}  // namespace locklab::testing
