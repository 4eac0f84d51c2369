// ThreadBackend's time, tasks and events against lockimpl's Backend
// contract (lock/backend.hpp): sleeps and waits that other threads end,
// spawned threads the backend owns and joins, the seeded random stream.
// backend_test.cpp has the requests.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <stop_token>
#include <thread>

#include "fake_redis.hpp"
#include "test_support.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

// Retry delays sleep through the backend; a stop or a shutdown must cut them
// short, or a lock manager's destructor would hang for a whole TTL.
TEST(ThreadBackend, StopAndShutdownWakeASleep) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  const auto started = Clock::now();
  EXPECT_TRUE(backend.sleep_for(20ms));
  EXPECT_GE(Clock::now() - started, 20ms);

  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(30ms);
    stop.request_stop();
  });
  EXPECT_FALSE(backend.sleep_until(ThreadBackend::time_point::max(), stop.get_token()));
  EXPECT_FALSE(backend.sleep_for(1h, stop.get_token()));  // already stopped

  std::atomic<int> slept = -1;
  ASSERT_TRUE(backend.spawn("sleeper", [&] { slept = backend.sleep_for(1h) ? 1 : 0; }));
  std::this_thread::sleep_for(20ms);
  const auto shutting = Clock::now();
  backend.shutdown();
  EXPECT_LT(Clock::now() - shutting, 2s);
  EXPECT_EQ(slept.load(), 0);
}

// A lock manager's background tasks (auto-extend) are threads the backend
// owns: shutdown must wait for every one of them.
TEST(ThreadBackend, SpawnedTasksRunAtOnceAndAreJoinedAtShutdown) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  constexpr int kTasks = 4;
  std::latch all_running(kTasks);
  std::atomic<int> finished = 0;
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(backend.spawn("task", [&] {
      all_running.arrive_and_wait();  // all four at once, or this never returns
      std::this_thread::sleep_for(30ms);
      ++finished;
    }));
  }
  backend.shutdown();
  EXPECT_EQ(finished.load(), kTasks);
  EXPECT_EQ(backend.stats().peak_running_tasks, static_cast<std::size_t>(kTasks));
  EXPECT_EQ(backend.stats().tasks_spawned, static_cast<std::uint64_t>(kTasks));
}

// A caller must be able to handle a refused spawn: it returns false, runs
// nothing, and never throws — after shutdown, or when out of threads.
TEST(ThreadBackend, SpawnFailsAfterShutdownAndWhenToldTo) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  std::atomic<int> ran = 0;
  backend.fail_spawns(true);
  EXPECT_FALSE(backend.spawn("refused", [&] { ++ran; }));
  backend.fail_spawns(false);
  EXPECT_TRUE(backend.spawn("accepted", [&] { ++ran; }));
  backend.shutdown();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_FALSE(backend.spawn("late", [&] { ++ran; }));
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(backend.stats().tasks_spawned, 1u);
  backend.shutdown();  // idempotent
}

// Events hand-off between tasks (a releaser wakes an auto-extender): set()
// on one thread must wake a waiter on another; deadline and stop end a wait.
TEST(ThreadBackend, EventSetOnAnotherThreadWakesTheWaiter) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  ThreadBackend::Event event(backend);
  EXPECT_FALSE(event.is_set());
  EXPECT_EQ(event.wait_until(backend.now() + 20ms), lock::WaitStatus::timed_out);

  std::jthread setter([&] {
    std::this_thread::sleep_for(30ms);
    event.set();
  });
  EXPECT_EQ(event.wait_until(ThreadBackend::time_point::max()), lock::WaitStatus::signalled);
  EXPECT_TRUE(event.is_set());
  EXPECT_EQ(event.wait_until(backend.now()), lock::WaitStatus::signalled);  // manual reset
  event.reset();
  EXPECT_FALSE(event.is_set());

  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(30ms);
    stop.request_stop();
  });
  EXPECT_EQ(event.wait_until(ThreadBackend::time_point::max(), stop.get_token()),
            lock::WaitStatus::cancelled);

  std::atomic<int> status = -1;
  ASSERT_TRUE(backend.spawn("waiter", [&] {
    status = static_cast<int>(event.wait_until(ThreadBackend::time_point::max()));
  }));
  std::this_thread::sleep_for(20ms);
  backend.shutdown();
  EXPECT_EQ(status.load(), static_cast<int>(lock::WaitStatus::cancelled));
}

// Tokens and jitter come from the seeded stream: the same seed repeats a run.
TEST(ThreadBackend, RandomStreamFollowsTheSeed) {
  FakeRedis redis(1);
  ThreadBackend a(redis, 1, {.seed = 7});
  ThreadBackend b(redis, 1, {.seed = 7});
  ThreadBackend c(redis, 1, {.seed = 8});
  const std::uint64_t first = a.random_u64();
  EXPECT_EQ(first, b.random_u64());
  EXPECT_NE(first, c.random_u64());
  EXPECT_NE(first, a.random_u64());
}

}  // namespace
}  // namespace locklab::testing
