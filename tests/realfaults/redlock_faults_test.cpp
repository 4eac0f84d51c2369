// RedLock over five real masters under real faults, asserting what the
// simulated world gives (scenarios/redlock-crash-no-persistence.toml,
// redlock-majority-crash-no-persistence.toml):
//   - two of five killed: the other three are a quorum, and the lock is
//     acquired on exactly them;
//   - three of five killed: every attempt is refused by the dead (connection
//     refused: not applied) and the two live grants are undone, so the call
//     ends timed_out — not indeterminate — by its deadline, and leaves no
//     key behind;
//   - every pooled connection killed by CLIENT KILL under a held lease: the
//     release notices the dead connections (or retries on a fresh one) and
//     reports released, never indeterminate.
#include <gtest/gtest.h>

#include <thread>

#include "fault_util.hpp"
#include "locklab/lock/redlock.hpp"

namespace locklab::realfaults {
namespace {

using lock::NodeErrorKind;
using lock::Outcome;
using realserver::Deployment;
using Lock = lock::RedLock<Backend>;

// node_timeout 500 ms, not the default ttl/100 (20 ms): on a loaded CI
// machine a live server can be off its core for a few hundred ms, its reply
// then comes after the node timeout, and that attempt — and with it the
// whole call — is rightly indeterminate, which is not what these tests are
// about.
lock::LockOptions options() {
  return {.ttl = 4s, .node_timeout = 500ms, .retry = {.count = 1000, .delay = 50ms, .jitter = 20ms}};
}

std::int64_t exists(realserver::Server& server, const std::string& key) {
  return server.admin_ok({"EXISTS", key}).integer;
}

TEST(RealFaultsRedLock, MinorityOfFiveKilledStillAcquires) {
  Deployment five({.masters = 5});
  Backend backend(endpoints(five));
  Lock lock(backend, options());
  five.master(1).kill();
  five.master(3).kill();
  auto got = lock.acquire("job", in(2s));
  ASSERT_TRUE(got.acquired()) << show(got);
  EXPECT_EQ(got.lease->nodes, (std::vector<std::size_t>{0, 2, 4}));
  for (std::size_t n : {0, 2, 4}) EXPECT_EQ(exists(five.master(n), "job"), 1) << "node " << n;
  EXPECT_EQ(lock.release(*got.lease, in(2s)).outcome, Outcome::indeterminate)
      << "two nodes are down: the release cannot confirm them";
  for (std::size_t n : {0, 2, 4}) EXPECT_EQ(exists(five.master(n), "job"), 0) << "node " << n;
}

TEST(RealFaultsRedLock, MajorityOfFiveKilledFailsByTheDeadline) {
  Deployment five({.masters = 5});
  Backend backend(endpoints(five));
  Lock lock(backend, options());
  for (std::size_t n : {0, 2, 4}) five.master(n).kill();
  const auto deadline = in(2s);
  auto got = lock.acquire("job", deadline);
  const auto returned = Backend::clock::now();
  EXPECT_EQ(got.outcome, Outcome::timed_out) << show(got);
  EXPECT_FALSE(got.lease.has_value());
  EXPECT_GT(got.attempts, 1) << "the deadline, not the retry count, should end it";
  EXPECT_LE(returned, deadline + 500ms);
  ASSERT_EQ(got.nodes.size(), 5u);
  for (std::size_t n : {0, 2, 4}) {
    ASSERT_FALSE(got.nodes[n].result) << show(got);
    EXPECT_EQ(got.nodes[n].result.error().kind, NodeErrorKind::refused) << show(got);
    EXPECT_FALSE(got.nodes[n].result.error().maybe_applied) << show(got);
  }
  for (std::size_t n : {1, 3}) {
    EXPECT_TRUE(got.nodes[n].granted) << show(got);
    EXPECT_EQ(exists(five.master(n), "job"), 0) << "node " << n << ": the failed attempt was not undone";
  }
}

// CLIENT KILL of every normal client on every master closes the backend's
// pooled connections under a held lease. Released either way: with the FIN
// already in, the pool replaces the connection before sending; with it
// still on its way, the request fails connection_lost and the release is
// retried on a fresh connection.
TEST(RealFaultsRedLock, ClientKillOfPooledConnectionsThenReleaseIsReleased) {
  Deployment five({.masters = 5});
  Backend backend(endpoints(five));
  Lock lock(backend, options());
  for (const bool wait_for_the_fin : {true, false, true, false}) {
    auto got = lock.acquire("job", in(2s));
    ASSERT_TRUE(got.acquired()) << show(got);
    for (std::size_t n = 0; n < 5; ++n) {
      ASSERT_GE(backend.idle_connections(n), 1u) << "node " << n;
      EXPECT_GE(five.master(n).client_kill({"TYPE", "normal"}), 1) << "node " << n;
    }
    if (wait_for_the_fin) std::this_thread::sleep_for(50ms);
    const auto released = lock.release(*got.lease, in(2s));
    EXPECT_EQ(released.outcome, Outcome::released) << show(released);
    for (std::size_t n = 0; n < 5; ++n) EXPECT_EQ(exists(five.master(n), "job"), 0) << "node " << n;
  }
}

}  // namespace
}  // namespace locklab::realfaults
