// lockimpl's locks, unchanged, over real servers through hiredis::Backend:
// RedLock over three, the lock manager (its contenders are the backend's
// spawned threads) over one, many threads on one lock object.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "locklab/lock/auto_extend.hpp"
#include "locklab/lock/manager.hpp"
#include "locklab/lock/mutex.hpp"
#include "locklab/lock/redlock.hpp"
#include "test_util.hpp"

namespace locklab::hiredis_test {
namespace {

using hiredis::Backend;
using lock::Outcome;

// Acquire (fenced: the scripts meet a cold cache, NOSCRIPT then EVAL),
// extend, release — with the key really on each server, then gone.
TEST(HiredisLocks, RedLockOverThreeServersAcquiresExtendsReleases) {
  realserver::Server a, b, c;
  Backend backend({tcp(a), tcp(b), tcp(c)});
  Backend observer({tcp(a), tcp(b), tcp(c)});
  lock::RedLock<Backend> redlock(backend, {.ttl = 10s, .fencing = true});
  auto got = redlock.acquire("orders", backend.now() + 2s);
  ASSERT_TRUE(got.lease.has_value()) << got.detail;
  EXPECT_EQ(got.lease->fencing_token, std::optional<std::uint64_t>(1));
  for (std::size_t n = 0; n < 3; ++n) {
    auto v = observer.call(n, {"GET", "orders"}, in(2s));
    ASSERT_TRUE(v) << show(v);
    EXPECT_EQ(*v, lock::Reply::bulk(got.lease->token)) << "node " << n;
  }
  auto second = redlock.acquire("orders", backend.now() + 300ms);
  EXPECT_FALSE(second.acquired()) << "a second holder got it";
  auto extended = redlock.extend(*got.lease, backend.now() + 2s);
  EXPECT_TRUE(extended.extended()) << extended.detail;
  auto released = redlock.release(*got.lease, backend.now() + 2s);
  EXPECT_EQ(released.outcome, Outcome::released);
  for (std::size_t n = 0; n < 3; ++n) {
    auto v = observer.call(n, {"EXISTS", "orders"}, in(2s));
    ASSERT_TRUE(v) << show(v);
    EXPECT_EQ(*v, lock::Reply::integer_reply(0)) << "node " << n;
  }
  EXPECT_EQ(backend.in_flight(), 0u);
}

// Eight threads share one lock object and take turns on one key; a counter
// guarded only by the lock is never entered by two at once.
TEST(HiredisLocks, ManyThreadsOneLockMutualExclusion) {
  realserver::Server a, b, c;
  Backend backend({tcp(a), tcp(b), tcp(c)}, {.max_in_flight = 64});
  lock::RedLock<Backend> redlock(backend, {.ttl = 10s});
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto got = redlock.acquire("shared", backend.now() + 5s);
        if (!got) continue;
        ++acquired;
        if (++inside != 1) ++overlaps;
        std::this_thread::sleep_for(1ms);
        --inside;
        (void)redlock.release(*got.lease, backend.now() + 2s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GT(acquired.load(), 8);
}

// The manager's contender tasks run on the backend's threads.
TEST(HiredisLocks, LockManagerOverARealServer) {
  realserver::Server server;
  Backend backend({tcp(server)});
  lock::SingleNodeLock<Backend> single(backend, {.ttl = 10s});
  {
    lock::LockManager<lock::SingleNodeLock<Backend>> manager(single);
    auto first = manager.lock("orders", 10s, backend.now() + 2s);
    const auto got = first.wait();
    ASSERT_EQ(got.outcome, Outcome::acquired) << got.detail;
    auto second = manager.lock("orders", 10s, backend.now() + 2s);
    EXPECT_EQ(first.unlock().outcome, Outcome::released);
    const auto next = second.wait();
    EXPECT_EQ(next.outcome, Outcome::acquired) << next.detail;
    EXPECT_EQ(second.unlock().outcome, Outcome::released);
  }
  EXPECT_GE(backend.stats().tasks_spawned, 1u);
  backend.shutdown();
}

// The watchdog (a spawned thread) renews a short lease on three real
// servers; the key's PTTL shows the renewals landed.
TEST(HiredisLocks, AutoExtenderRenewsOnRealServers) {
  realserver::Server a, b, c;
  Backend backend({tcp(a), tcp(b), tcp(c)});
  Backend observer({tcp(a), tcp(b), tcp(c)});
  lock::RedLock<Backend> redlock(backend, {.ttl = 600ms, .node_timeout = 50ms});
  auto got = redlock.acquire("orders", backend.now() + 1s);
  ASSERT_TRUE(got.acquired()) << got.detail;
  {
    lock::AutoExtender<lock::RedLock<Backend>> keep(redlock, std::move(*got.lease));
    std::this_thread::sleep_for(1500ms);  // 2.5 TTLs: gone unless renewed
    EXPECT_GE(keep.renewals(), 2);
    EXPECT_EQ(keep.state(), lock::ExtenderState::holding);
    for (std::size_t n = 0; n < 3; ++n) {
      auto ttl = observer.call(n, {"PTTL", "orders"}, in(2s));
      ASSERT_TRUE(ttl) << show(ttl);
      EXPECT_GT(ttl->integer, 0) << "node " << n;
    }
    EXPECT_EQ(keep.release().outcome, Outcome::released);
  }
  for (std::size_t n = 0; n < 3; ++n) {
    auto v = observer.call(n, {"EXISTS", "orders"}, in(2s));
    ASSERT_TRUE(v) << show(v);
    EXPECT_EQ(*v, lock::Reply::integer_reply(0)) << "node " << n;
  }
}

// Six threads increment a plain int under a NamedMutex on a real server.
TEST(HiredisLocks, NamedMutexGuardsACounterAcrossThreads) {
  realserver::Server server;
  Backend backend({tcp(server)});
  lock::SingleNodeLock<Backend> single(
      backend, {.ttl = 10s, .retry = {.count = 1000, .delay = 1ms, .jitter = 0ms}});
  lock::NamedMutex<lock::SingleNodeLock<Backend>> m(single, "counter", 10s);
  int counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        std::unique_lock held(m);
        const int seen = counter;
        std::this_thread::yield();
        counter = seen + 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter, 60);
  auto v = backend.call(0, {"EXISTS", "counter"}, in(2s));
  ASSERT_TRUE(v) << show(v);
  EXPECT_EQ(*v, lock::Reply::integer_reply(0));
}

}  // namespace
}  // namespace locklab::hiredis_test
