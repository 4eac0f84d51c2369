// The single-node lock over a real redis-server under real faults, each
// asserting what the simulated world gives for the same fault:
//   - a server frozen during acquire: the SET times out after it was sent,
//     so the attempt is indeterminate and the node's error maybe_applied;
//   - a server killed and restarted without persistence comes back empty:
//     a second client acquires at once, while the first still believes it
//     holds the lock (scenarios/single-node-crash-no-persistence.toml);
//   - the same with appendonly yes + appendfsync always: the key, and its
//     expiry time, survive the SIGKILL; the second client waits for the TTL.
// Time bounds allow the caller's deadline plus 500 ms: CI machines are noisy.
#include <gtest/gtest.h>

#include "fault_util.hpp"
#include "locklab/lock/redlock.hpp"

namespace locklab::realfaults {
namespace {

using lock::NodeErrorKind;
using lock::Outcome;
using realserver::Persistence;
using realserver::Server;
using Lock = lock::SingleNodeLock<Backend>;

// Every lock here waits up to 200 ms for the server, not the default
// ttl/100 (15-20 ms): a loaded machine can take that long to answer, and a
// timed-out SET makes an attempt indeterminate instead of busy or acquired.
constexpr auto kNodeTimeout = 200ms;

TEST(RealFaultsSingleNode, FrozenServerDuringAcquireTimesOutMaybeApplied) {
  Server server;
  Backend backend({endpoint(server)});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));  // a pooled connection, run_id known
  Lock lock(backend, {.ttl = 2s, .node_timeout = kNodeTimeout, .retry = {.count = 0}});
  server.freeze();
  const auto deadline = in(1s);
  auto got = lock.acquire("job", deadline);
  const auto returned = Backend::clock::now();
  server.resume();
  EXPECT_EQ(got.outcome, Outcome::indeterminate) << show(got);
  EXPECT_FALSE(got.lease.has_value());
  ASSERT_EQ(got.nodes.size(), 1u);
  ASSERT_FALSE(got.nodes[0].result) << show(got);
  EXPECT_EQ(got.nodes[0].result.error().kind, NodeErrorKind::timed_out) << show(got);
  EXPECT_TRUE(got.nodes[0].result.error().maybe_applied) << show(got);
  EXPECT_LE(returned, deadline + 500ms);
}

// The first holder's key is gone with the server's memory: the second client
// acquires at once, long before the first lease ends — two holders.
TEST(RealFaultsSingleNode, RestartWithoutPersistenceLetsASecondClientAcquireAtOnce) {
  Server server;
  Backend first_backend({endpoint(server)});
  Backend second_backend({endpoint(server)});
  Lock first(first_backend, {.ttl = 2s, .node_timeout = kNodeTimeout});
  Lock second(second_backend, {.ttl = 2s, .node_timeout = kNodeTimeout, .retry = {.count = 0}});
  auto held = first.acquire("job", in(1s));
  ASSERT_TRUE(held.acquired()) << show(held);
  auto refused = second.try_acquire("job", in(1s));
  ASSERT_EQ(refused.outcome, Outcome::busy) << "the lock is not exclusive even before the fault: "
                                            << show(refused);
  server.restart();
  auto got = second.try_acquire("job", in(1s));
  EXPECT_EQ(got.outcome, Outcome::acquired) << show(got);
  EXPECT_TRUE(held.lease->valid_at(first_backend.now()))
      << "the first lease ended before the second grant: the test shows nothing";
}

// appendfsync always: the SET was on disk before its reply, and the AOF
// keeps its absolute expiry time (Redis 7 writes PXAT), so after SIGKILL and
// a restart the key is back with the rest of its TTL.
TEST(RealFaultsSingleNode, AofAlwaysKeepsTheLockAcrossAKillUntilItsTtlEnds) {
  Server server({.persistence = Persistence::aof_always()});
  Backend first_backend({endpoint(server)});
  Backend second_backend({endpoint(server)});
  constexpr auto ttl = 1500ms;
  Lock first(first_backend, {.ttl = ttl, .node_timeout = kNodeTimeout});
  Lock second(second_backend, {.ttl = ttl, .node_timeout = kNodeTimeout,
                               .retry = {.count = 1000, .delay = 20ms, .jitter = 0ms}});
  auto held = first.acquire("job", in(1s));
  ASSERT_TRUE(held.acquired()) << show(held);
  const auto expiry = held.lease->attempt_started + ttl;
  server.kill();
  server.start();
  auto early = second.try_acquire("job", in(1s));
  EXPECT_EQ(early.outcome, Outcome::busy) << show(early);
  ASSERT_LT(Backend::clock::now(), expiry) << "the restart took a whole TTL: the test shows nothing";
  const auto deadline = expiry + 2s;
  auto later = second.acquire("job", deadline);
  ASSERT_TRUE(later.acquired()) << show(later);
  // Redis computes the expiry from its own ms clock at the SET, which ran
  // after attempt_started: a grant before `expiry` (less 5 ms of rounding)
  // means the key was lost.
  EXPECT_GE(later.lease->attempt_started + 5ms, expiry)
      << "acquired "
      << std::chrono::duration_cast<std::chrono::milliseconds>(expiry - later.lease->attempt_started).count()
      << " ms before the first lease's TTL ended";
  EXPECT_LE(Backend::clock::now(), deadline + 500ms);
}

}  // namespace
}  // namespace locklab::realfaults
