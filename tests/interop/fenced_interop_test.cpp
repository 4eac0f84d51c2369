// Why locklab's fenced lock does not interoperate with redis-py's Lock (nor
// with node-redlock): its key holds a token like the unfenced lock's, so the
// key still excludes both ways, but its grants also INCR a counter beside the
// key (<key>:fence) in the same script, and the counter value is the fencing
// token the protected resource checks. Another library's grant neither raises
// the counter nor carries a token, so the resource cannot order its writes
// against locklab's: the fencing guarantee holds only among locklab clients.
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

class FencedInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string problem = redis_py_problem();
    ASSERT_TRUE(problem.empty()) << problem;
  }
};

TEST_F(FencedInterop, RedisPyGrantBetweenTwoFencedGrantsIsNotCounted) {
  Servers servers(1);
  Backend backend(servers.endpoints());
  lock::SingleNodeLock<Backend> fenced(backend, {.ttl = 30s, .fencing = true});
  const std::string key = "interop:fenced";

  auto first = fenced.try_acquire(key, in(2s));
  ASSERT_TRUE(first) << first.detail;
  EXPECT_EQ(first.lease->fencing_token, std::optional<std::uint64_t>(1));
  const ChildResult blocked = py_acquire(servers.port(0), key, 30s);
  EXPECT_EQ(blocked.exit_code, kPeerRefused) << "the key itself still excludes: " << blocked.describe();
  EXPECT_EQ(fenced.release(*first.lease, in(2s)).outcome, Outcome::released);

  const ChildResult theirs = py_acquire(servers.port(0), key, 30s);
  ASSERT_EQ(theirs.exit_code, kPeerDone) << theirs.describe();
  EXPECT_EQ(servers.raw_get(0, key + ":fence"), "1") << "redis-py's grant raised the counter";
  const ChildResult released = py_release(servers.port(0), key, first_line(theirs.out));
  ASSERT_EQ(released.exit_code, kPeerDone) << released.describe();

  // Three grants, two tokens: redis-py's has none to show a resource.
  auto third = fenced.try_acquire(key, in(2s));
  ASSERT_TRUE(third) << third.detail;
  EXPECT_EQ(third.lease->fencing_token, std::optional<std::uint64_t>(2));
}

}  // namespace
}  // namespace locklab::interop_test
