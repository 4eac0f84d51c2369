// redis-py's Lock (Debian 12's python3-redis) and locklab's unfenced locks on
// the same key, on real servers. Both store a random value with SET NX PX and
// release by a Lua compare-and-delete, so each must see the other's key as
// taken and neither may delete the other's. redis-py's Lock is single-node:
// against RedLock it is run on each server in turn, as a reader of whether
// that server would grant the key. Every claim is checked against a raw GET.
// GCC 12 reports a false -Wmaybe-uninitialized in lockimpl's retry loop
// (the `last` result of acquire_with_retries) when try_acquire is inlined
// over hiredis::Backend; the value is assigned before it is read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gtest/gtest.h>

#include "locklab/lock/redlock.hpp"
#include "peers.hpp"
#include "servers.hpp"

namespace locklab::interop_test {
namespace {

using namespace std::chrono_literals;
using hiredis::Backend;
using lock::Outcome;

class PyInterop : public ::testing::Test {
 protected:
  // A missing redis-py fails here with what to install; it never skips.
  void SetUp() override {
    const std::string problem = redis_py_problem();
    ASSERT_TRUE(problem.empty()) << problem;
  }
};

TEST_F(PyInterop, LocklabSingleNodeHoldBlocksRedisPy) {
  Servers servers(1);
  Backend backend(servers.endpoints());
  lock::SingleNodeLock<Backend> lock(backend, {.ttl = kTtl});
  const std::string key = "interop:py:single";
  auto mine = lock.try_acquire(key, in(2s));
  ASSERT_TRUE(mine) << mine.detail;

  const ChildResult theirs = py_acquire(servers.port(0), key, kTtl);
  EXPECT_EQ(theirs.exit_code, kPeerRefused) << theirs.describe();
  const ChildResult wrong = py_release(servers.port(0), key, other_owner(mine.lease->token));
  EXPECT_EQ(wrong.exit_code, kPeerRefused) << wrong.describe();
  EXPECT_EQ(servers.raw_get(0, key), mine.lease->token);

  // Once locklab lets go, redis-py gets it: the refusal above was the key.
  EXPECT_EQ(lock.release(*mine.lease, in(2s)).outcome, Outcome::released);
  const ChildResult after = py_acquire(servers.port(0), key, kTtl);
  ASSERT_EQ(after.exit_code, kPeerDone) << after.describe();
  EXPECT_EQ(servers.raw_get(0, key), first_line(after.out));
}

TEST_F(PyInterop, RedisPyHoldBlocksLocklabSingleNode) {
  Servers servers(1);
  Backend backend(servers.endpoints());
  lock::SingleNodeLock<Backend> lock(backend, {.ttl = kTtl});
  const std::string key = "interop:py:theirs";
  const ChildResult theirs = py_acquire(servers.port(0), key, kTtl);
  ASSERT_EQ(theirs.exit_code, kPeerDone) << theirs.describe();
  const std::string token = first_line(theirs.out);
  EXPECT_EQ(token.size(), 32u) << "redis-py 4.3.4 stores uuid1().hex: " << token;
  EXPECT_EQ(servers.raw_get(0, key), token);

  auto mine = lock.try_acquire(key, in(2s));
  EXPECT_EQ(mine.outcome, Outcome::busy) << mine.detail;
  auto wrong = lock.release_token(key, other_owner(token), in(2s));
  EXPECT_EQ(wrong.outcome, Outcome::not_held);
  EXPECT_EQ(servers.raw_get(0, key), token);

  // Its holder releases with its own token; then locklab gets the key.
  const ChildResult released = py_release(servers.port(0), key, token);
  EXPECT_EQ(released.exit_code, kPeerDone) << released.describe();
  EXPECT_EQ(servers.raw_get(0, key), std::nullopt);
  auto later = lock.try_acquire(key, in(2s));
  EXPECT_TRUE(later) << later.detail;
}

TEST_F(PyInterop, LocklabRedLockBlocksRedisPyOnEveryServer) {
  Servers servers(3);
  Backend backend(servers.endpoints());
  lock::RedLock<Backend> redlock(backend, {.ttl = kTtl});
  const std::string key = "interop:py:redlock";
  auto mine = redlock.try_acquire(key, in(2s));
  ASSERT_TRUE(mine) << mine.detail;
  ASSERT_EQ(mine.lease->nodes.size(), 3u);

  for (std::size_t n = 0; n < 3; ++n) {
    const ChildResult theirs = py_acquire(servers.port(n), key, kTtl);
    EXPECT_EQ(theirs.exit_code, kPeerRefused) << "node " << n << ": " << theirs.describe();
    const ChildResult wrong = py_release(servers.port(n), key, other_owner(mine.lease->token));
    EXPECT_EQ(wrong.exit_code, kPeerRefused) << "node " << n << ": " << wrong.describe();
    EXPECT_EQ(servers.raw_get(n, key), mine.lease->token) << "node " << n;
  }
  EXPECT_EQ(redlock.release(*mine.lease, in(2s)).outcome, Outcome::released);
  for (std::size_t n = 0; n < 3; ++n) EXPECT_EQ(servers.raw_get(n, key), std::nullopt) << "node " << n;
}

// redis-py holding the key on two of three servers leaves RedLock no quorum;
// RedLock's failed attempt undoes its own grant on the third server and
// touches neither of redis-py's keys.
TEST_F(PyInterop, RedisPyOnAMajorityOfServersDeniesLocklabRedLock) {
  Servers servers(3);
  Backend backend(servers.endpoints());
  lock::RedLock<Backend> redlock(backend, {.ttl = kTtl});
  const std::string key = "interop:py:majority";
  std::string tokens[2];
  for (std::size_t n = 0; n < 2; ++n) {
    const ChildResult theirs = py_acquire(servers.port(n), key, kTtl);
    ASSERT_EQ(theirs.exit_code, kPeerDone) << "node " << n << ": " << theirs.describe();
    tokens[n] = first_line(theirs.out);
  }
  auto mine = redlock.try_acquire(key, in(2s));
  EXPECT_EQ(mine.outcome, Outcome::busy) << mine.detail;
  auto wrong = redlock.release_token(key, other_owner(tokens[0]), in(2s));
  EXPECT_EQ(wrong.outcome, Outcome::not_held);
  EXPECT_EQ(servers.raw_get(0, key), tokens[0]);
  EXPECT_EQ(servers.raw_get(1, key), tokens[1]);
  EXPECT_EQ(servers.raw_get(2, key), std::nullopt) << "RedLock's failed attempt left its grant";
}

// On one server of three, redis-py's key is a minority: RedLock is granted
// by the other two, and its release on every server leaves redis-py's key.
TEST_F(PyInterop, RedisPyOnAMinorityOfServersLeavesLocklabRedLockAQuorum) {
  Servers servers(3);
  Backend backend(servers.endpoints());
  lock::RedLock<Backend> redlock(backend, {.ttl = kTtl});
  const std::string key = "interop:py:minority";
  const ChildResult theirs = py_acquire(servers.port(0), key, kTtl);
  ASSERT_EQ(theirs.exit_code, kPeerDone) << theirs.describe();
  const std::string token = first_line(theirs.out);

  auto mine = redlock.try_acquire(key, in(2s));
  ASSERT_TRUE(mine) << mine.detail;
  EXPECT_EQ(mine.lease->nodes, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(redlock.release(*mine.lease, in(2s)).outcome, Outcome::released);
  EXPECT_EQ(servers.raw_get(0, key), token);
  EXPECT_EQ(servers.raw_get(1, key), std::nullopt);
  EXPECT_EQ(servers.raw_get(2, key), std::nullopt);
}

}  // namespace
}  // namespace locklab::interop_test
