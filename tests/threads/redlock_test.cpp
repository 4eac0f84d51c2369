// lockimpl's RedLock, unchanged, over ThreadBackend: the combination the
// threaded tests exist for, here as a smoke test that it compiles and runs.
//
// Kept apart from backend_test.cpp because redlock.hpp (through
// detail/script_call.hpp) and redis_error.hpp cannot be included together
// yet: both declare is_noscript(const NodeResult&), in lock::detail and
// lock, and the unqualified calls in script_call.hpp become ambiguous.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "fake_redis.hpp"
#include "locklab/lock/redlock.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

// The point of the backend: lockimpl's RedLock, unchanged, over threads —
// fenced (its scripts meet a cold cache: NOSCRIPT, then EVAL), with one
// node down.
TEST(ThreadRedLock, AcquiresAndReleasesWithOneNodeDown) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3, {.seed = 3});
  redis.set_down(2, true);
  lock::RedLock<ThreadBackend> redlock(backend, {.ttl = 10s, .fencing = true});
  auto got = redlock.acquire("orders", backend.now() + 2s);
  ASSERT_TRUE(got.lease.has_value()) << got.detail;
  EXPECT_EQ(got.lease->fencing_token, std::optional<std::uint64_t>(1));
  EXPECT_TRUE(redis.exists(0, "orders"));
  EXPECT_TRUE(redis.exists(1, "orders"));
  const lock::ReleaseResult released = redlock.release(*got.lease);
  EXPECT_EQ(released.outcome, lock::Outcome::indeterminate);  // node 2 never answered
  EXPECT_FALSE(redis.exists(0, "orders"));
  EXPECT_FALSE(redis.exists(1, "orders"));
}

}  // namespace
}  // namespace locklab::testing
