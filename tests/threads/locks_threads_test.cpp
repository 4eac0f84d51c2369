// lockimpl's locks, unchanged, over ThreadBackend: one lock object shared by
// many threads at once (the contract in lock/backend.hpp), and the release
// retried on a fresh connection. Run under ThreadSanitizer by the tsan preset.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_redis.hpp"
#include "locklab/lock/naive.hpp"
#include "locklab/lock/redlock.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;
using lock::Outcome;

// The point of the backend: lockimpl's RedLock, unchanged, over threads —
// fenced (its scripts meet a cold cache: NOSCRIPT, then the EVAL fallback),
// with one node down.
TEST(ThreadRedLock, AcquiresAndReleasesWithOneNodeDown) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3, {.seed = 3});
  redis.set_down(2, true);
  lock::RedLock<ThreadBackend> redlock(backend, {.ttl = 10s, .node_timeout = 2s, .fencing = true});
  auto got = redlock.acquire("orders", backend.now() + 2s);
  ASSERT_TRUE(got.lease.has_value()) << got.detail;
  EXPECT_EQ(got.lease->fencing_token, std::optional<std::uint64_t>(1));
  EXPECT_TRUE(redis.exists(0, "orders"));
  EXPECT_TRUE(redis.exists(1, "orders"));
  const lock::ReleaseResult released = redlock.release(*got.lease);
  EXPECT_EQ(released.outcome, Outcome::indeterminate);  // node 2 never answered
  EXPECT_FALSE(redis.exists(0, "orders"));
  EXPECT_FALSE(redis.exists(1, "orders"));
}

// Eight threads share one RedLock object and one backend, each locking two
// keys in turn. Per key, at most one thread believes it holds the lock at
// any moment (the TTL is far longer than the test, so no lease expires), and
// every thread gets its turns. TSan checks the lock object itself. (Node
// timeouts of 2 s: under ThreadSanitizer eight threads with a request thread
// per node are slow, and a release that timed out would be indeterminate.)
template <typename MakeLock>
void many_threads_one_lock(MakeLock make_lock, std::size_t nodes) {
  FakeRedis redis(nodes);
  ThreadBackend backend(redis, nodes, {.seed = 11});
  auto lock = make_lock(backend);
  constexpr int kThreads = 8;
  constexpr int kRounds = 15;
  std::atomic<int> holders[2] = {0, 0};
  std::atomic<int> overlaps{0};
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const int k = (t + round) % 2;
        auto got = lock.acquire("key-" + std::to_string(k), backend.now() + 10s);
        if (!got.acquired()) continue;
        ++acquired;
        if (holders[k].fetch_add(1) != 0) ++overlaps;
        std::this_thread::sleep_for(200us);
        holders[k].fetch_sub(1);
        EXPECT_EQ(lock.release(*got.lease).outcome, Outcome::released);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(acquired.load(), kThreads * kRounds);
  for (std::size_t n = 0; n < nodes; ++n) {
    EXPECT_FALSE(redis.exists(n, "key-0"));
    EXPECT_FALSE(redis.exists(n, "key-1"));
  }
}

TEST(ThreadLocks, OneRedLockObjectServesEightThreadsAtOnce) {
  many_threads_one_lock(
      [](ThreadBackend& b) {
        return lock::RedLock<ThreadBackend>(
            b, {.ttl = 30s, .node_timeout = 2s, .retry = {.count = 10'000, .delay = 1ms, .jitter = 1ms}});
      },
      3);
}

TEST(ThreadLocks, OneFencedSingleNodeLockServesEightThreadsAtOnce) {
  many_threads_one_lock(
      [](ThreadBackend& b) {
        return lock::SingleNodeLock<ThreadBackend>(
            b, {.ttl = 30s, .node_timeout = 2s, .retry = {.count = 10'000, .delay = 1ms, .jitter = 1ms}, .fencing = true});
      },
      1);
}

TEST(ThreadLocks, OneNaiveLockServesEightThreadsAtOnce) {
  many_threads_one_lock(
      [](ThreadBackend& b) {
        return lock::NaiveLock<ThreadBackend>(
            b, {.ttl = 30s, .node_timeout = 2s, .retry = {.count = 10'000, .delay = 1ms, .jitter = 1ms}});
      },
      1);
}

// The release reached the node and ran, then the connection broke before the
// reply: the caller cannot know it ran. Compare-and-delete is idempotent, so
// it goes once more on a fresh connection; that one finds the key gone and
// the release reports `released`, saying it retried.
TEST(ThreadRelease, ALostConnectionAfterTheReleaseRanIsRetriedAndReportsReleased) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  lock::RedLock<ThreadBackend> redlock(backend, {.ttl = 10s, .node_timeout = 2s});
  auto got = redlock.acquire("orders", backend.now() + 2s);
  ASSERT_TRUE(got.acquired()) << got.detail;
  // The release script in every node's cache, so the dropped request is the
  // compare-and-delete itself (not a NOSCRIPT answer).
  (void)redlock.release_token("warm-up", "nobody's token");
  redis.drop_connection_after_apply(1, 1);
  const lock::ReleaseResult r = redlock.release(*got.lease);
  EXPECT_EQ(r.outcome, Outcome::released);
  EXPECT_EQ(r.detail, "retried");
  ASSERT_TRUE(r.nodes[1].result.has_value());
  EXPECT_EQ(r.nodes[1].result->integer, 0);  // the first one had deleted it
  for (std::size_t n = 0; n < 3; ++n) EXPECT_FALSE(redis.exists(n, "orders"));
}

// A node that refuses the retry too leaves the release indeterminate: the
// key there frees by its TTL.
TEST(ThreadRelease, ARetryThatAlsoLosesItsConnectionStaysIndeterminate) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  lock::SingleNodeLock<ThreadBackend> single(backend, {.ttl = 10s});
  auto got = single.acquire("orders", backend.now() + 2s);
  ASSERT_TRUE(got.acquired()) << got.detail;
  redis.drop_connection_after_apply(0, 2);
  const lock::ReleaseResult r = single.release(*got.lease);
  EXPECT_EQ(r.outcome, Outcome::indeterminate);
  ASSERT_FALSE(r.nodes[0].result.has_value());
  EXPECT_EQ(r.nodes[0].result.error().kind, lock::NodeErrorKind::connection_lost);
}

// Refusals decide: two of three nodes hold another client's key, the third
// is slow. The attempt is busy as soon as the two refusals arrive, not
// indeterminate after the slow node's timeout.
TEST(ThreadRedLock, BusyAsSoonAsTheRefusalsMakeTheQuorumUnreachable) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  lock::RedLock<ThreadBackend> theirs(backend, {.ttl = 30s}, {0, 1});
  auto held = theirs.acquire("orders", backend.now() + 2s);
  ASSERT_TRUE(held.acquired()) << held.detail;
  redis.set_delay(2, 300ms);
  lock::RedLock<ThreadBackend> mine(
      backend, {.ttl = 30s, .node_timeout = 2s, .retry = {.count = 0}, .return_early = true});
  const auto started = backend.now();
  auto got = mine.acquire("orders", backend.now() + 10s);
  EXPECT_EQ(got.outcome, Outcome::busy) << got.detail;
  EXPECT_LT(backend.now() - started, 2s) << "it did not wait for the slow node's timeout";
}

}  // namespace
}  // namespace locklab::testing
