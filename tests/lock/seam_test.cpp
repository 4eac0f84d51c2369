// The seam between the algorithms and a backend, in simulated worlds: the
// NOSCRIPT fallback inside an attempt, typed Redis error replies, and the
// caller's input that must never abort (a call's own TTL, duplicate nodes,
// TTLs long enough to overflow a careless formula). Links take a fixed 1 ms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "lock/lock_world.hpp"
#include "lock/redis_probe.hpp"
#include "locklab/lock/redis_error.hpp"
#include "locklab/lock/redlock.hpp"

namespace locklab::lock {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LockWorld;
using testing::raw_call;
using testing::warm_up;
using Backend = sim::LockBackend;
using Acquired = RedLock<Backend>::Acquired;
using RawReply = sim::redis::Reply;

sim::WorldConfig one_ms_links() { return {.latency = sim::FixedLatency{1ms}}; }

// Every script cache is cold (as after a restart of every master) and one
// master is slow. Each fast master gets its EVAL on the connection that
// answered NOSCRIPT, at once: the attempt takes two round trips there, and
// two more to raise the fence (that script is cold too), and never waits
// for the slow master before its EVALs go out. (Were the EVALs sent only after the whole EVALSHA round, they would
// leave with the node timeout already spent, fail everywhere and still
// increment the fence counters for a grant nobody got.)
TEST(NoscriptFallback, ColdCachesAndASlowMasterStillGrantWithinTheAttempt) {
  LockWorld w(3, one_ms_links());
  std::optional<Acquired> got;
  sim::Duration elapsed{};
  RawReply fence_on_0, fence_on_2;
  const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    for (sim::ProcessId node : w.redis) {
      ASSERT_EQ(raw_call(p, node, {"SCRIPT", "FLUSH"}), RawReply::ok());
    }
    (void)p.sleep_for(100ms);
    RedLock<Backend> lock(b, {.ttl = 10s, .node_timeout = 50ms, .retry = {.count = 0},
                              .fencing = true, .return_early = true});
    const sim::LocalTime start = p.now();
    got = lock.acquire("job", p.now() + 1s);
    elapsed = p.now() - start;
    (void)p.sleep_for(1s);  // the slow master's EVALSHA lands, NOSCRIPT, no EVAL follows
    fence_on_0 = raw_call(p, w.redis[0], {"GET", "job:fence"});
    fence_on_2 = raw_call(p, w.redis[2], {"GET", "job:fence"});
  });
  w.world.schedule({.at = sim::true_time(90ms), .action = sim::MessageDelay{a, w.redis[2], 400ms, 1}});
  w.world.run_until(sim::true_time(3s));
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->outcome, Outcome::acquired) << got->detail;
  EXPECT_THAT(got->lease->nodes, ElementsAre(0u, 1u));
  EXPECT_EQ(got->lease->fencing_token, 1u);
  EXPECT_EQ(elapsed, 2ms + 2ms + 2ms + 2ms);  // EVALSHA, EVAL, and the same to raise the fence
  EXPECT_EQ(fence_on_0, RawReply::bulk("1"));
  EXPECT_TRUE(fence_on_2.is_nil()) << "the slow master ran no EVAL after its NOSCRIPT";
  for (const NodeOutcome& n : got->nodes) {
    EXPECT_FALSE(is_noscript(n.result)) << "the caller never sees NOSCRIPT (node " << n.node << ")";
  }
}

// A restarted master answers LOADING while it reads its AOF back. The lock
// counts it as a refusal, and the caller reads the reason, typed, in the
// per-node detail: a retry may help. Once loaded, the same call succeeds.
TEST(RedisErrors, ALoadingMasterIsATypedRefusalAndARetryLaterSucceeds) {
  LockWorld w(1, one_ms_links(),
              {.persistence = sim::redis::Persistence::aof_always, .load_time = 300ms});
  std::optional<Acquired> during, after;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));  // the AOF is not empty: the restart has something to load
    ASSERT_EQ(raw_call(p, w.redis[0], {"SET", "other", "x"}), RawReply::ok());
    SingleNodeLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 0}});
    (void)p.sleep_for(100ms);
    during = lock.try_acquire("job", p.now() + 1s);
    (void)p.sleep_for(500ms);
    after = lock.try_acquire("job", p.now() + 1s);
  });
  w.world.schedule({.at = sim::true_time(50ms), .action = sim::ProcessKill{w.redis[0]}});
  w.world.schedule({.at = sim::true_time(60ms), .action = sim::ProcessRestart{w.redis[0]}});
  w.world.run_until(sim::true_time(3s));
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->outcome, Outcome::timed_out) << during->detail;
  ASSERT_EQ(during->nodes.size(), 1u);
  ASSERT_EQ(during->nodes[0].redis_error(), RedisErrorKind::loading);
  EXPECT_TRUE(retry_may_help(*during->nodes[0].redis_error()));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->outcome, Outcome::acquired) << after->detail;
}

// The one mapping from an error reply's first word to its kind.
TEST(RedisErrors, ClassifyNamesEveryKindAndOnlyTheTransientOnesMayBeRetried) {
  EXPECT_EQ(classify("LOADING Redis is loading the dataset in memory"), RedisErrorKind::loading);
  EXPECT_EQ(classify("BUSY Redis is busy running a script."), RedisErrorKind::busy);
  EXPECT_EQ(classify("MISCONF Redis is configured to save RDB snapshots"), RedisErrorKind::misconf);
  EXPECT_EQ(classify("READONLY You can't write against a read only replica."), RedisErrorKind::readonly);
  EXPECT_EQ(classify("NOAUTH Authentication required."), RedisErrorKind::credentials);
  EXPECT_EQ(classify("WRONGPASS invalid username-password pair"), RedisErrorKind::credentials);
  EXPECT_EQ(classify("NOPERM this user has no permissions"), RedisErrorKind::credentials);
  EXPECT_EQ(classify("OOM command not allowed when used memory > 'maxmemory'."), RedisErrorKind::oom);
  EXPECT_EQ(classify("NOSCRIPT No matching script."), RedisErrorKind::noscript);
  EXPECT_EQ(classify("ERR wrong number of arguments"), RedisErrorKind::other);
  EXPECT_EQ(classify("LOADINGX not a code"), RedisErrorKind::other);
  EXPECT_EQ(classify(""), RedisErrorKind::other);
  for (RedisErrorKind k : {RedisErrorKind::loading, RedisErrorKind::busy, RedisErrorKind::misconf}) {
    EXPECT_TRUE(retry_may_help(k)) << name_of(k);
  }
  for (RedisErrorKind k : {RedisErrorKind::readonly, RedisErrorKind::credentials,
                           RedisErrorKind::oom, RedisErrorKind::noscript, RedisErrorKind::other}) {
    EXPECT_FALSE(retry_may_help(k)) << name_of(k);
  }
  EXPECT_EQ(redis_error_of(Reply::ok()), std::nullopt);
  EXPECT_EQ(redis_error_of(NodeResult(std::unexpected(NodeError{}))), std::nullopt);
}

// A call's own TTL is the caller's input: one not above the node timeout,
// or beyond the longest TTL, is an `invalid` outcome with nothing sent —
// never an abort.
TEST(CallerInput, ACallsBadTtlIsInvalidAndSendsNothing) {
  LockWorld w(1, one_ms_links());
  std::vector<Acquired> got;
  std::uint64_t requests_before = 0, requests_after = 0;
  w.client("a", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = 10s, .node_timeout = 100ms});
    requests_before = b.stats().requests;
    for (std::chrono::milliseconds ttl : {100ms, 50ms, 0ms, -5ms, kMaxTtl + 1ms}) {
      got.push_back(lock.acquire_for("job", ttl, p.now() + 1s));
    }
    requests_after = b.stats().requests;
  });
  w.world.run_until(sim::true_time(2s));
  ASSERT_EQ(got.size(), 5u);
  for (const Acquired& r : got) {
    EXPECT_EQ(r.outcome, Outcome::invalid);
    EXPECT_THAT(r.detail, HasSubstr("ttl"));
    EXPECT_EQ(r.attempts, 0);
  }
  EXPECT_THAT(got[0].detail, HasSubstr("longer than the node timeout"));
  EXPECT_THAT(got[4].detail, HasSubstr("longer than the most a lock accepts"));
  EXPECT_EQ(requests_after, requests_before);
}

// {0, 0, 0} would be "a majority of three" granted by one server.
TEST(CallerInput, ANodeListedTwiceIsAConfigError) {
  LockWorld w(3, one_ms_links());
  std::optional<std::string> error;
  w.client("a", [&](sim::Process&, Backend& b) {
    try {
      RedLock<Backend> lock(b, {.ttl = 10s}, {0, 0, 0});
    } catch (const ConfigError& e) {
      error = e.what();
    }
    RedLock<Backend> fine(b, {.ttl = 10s}, {2, 0, 1});  // any order, each once
    EXPECT_EQ(fine.nodes().size(), 3u);
  });
  w.world.run_until(sim::true_time(1s));
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(*error, HasSubstr("node 0 is listed more than once"));
}

// The longest TTL a lock accepts, with a large drift factor: the drift
// allowance (ttl × drift) is computed without overflow, and the validity is
// positive and no longer than the TTL. One millisecond more is refused at
// construction.
TEST(CallerInput, TheLongestTtlComputesItsValidityWithoutOverflow) {
  LockWorld w(1, one_ms_links());
  std::optional<Acquired> got;
  sim::LocalTime started{};
  std::optional<std::string> error;
  w.client("a", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = kMaxTtl, .drift_factor = 0.999999});
    started = p.now();
    got = lock.acquire("job", p.now() + 1s);
    try {
      SingleNodeLock<Backend> too_long(b, {.ttl = kMaxTtl + 1ms});
    } catch (const ConfigError& e) {
      error = e.what();
    }
  });
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->outcome, Outcome::acquired) << got->detail;
  const sim::Duration validity = got->lease->validity_end - got->lease->attempt_started;
  EXPECT_GT(validity, sim::Duration::zero());
  EXPECT_LE(validity, sim::Duration(kMaxTtl));
  // ttl − ttl × 0.999999 − 2 ms − the 4 ms the attempt took (open the
  // connection, then SET), exactly.
  const sim::Duration ttl = kMaxTtl;
  EXPECT_EQ(validity, ttl - sim::Duration(scale_ppm(ttl.count(), 999'999)) - 2ms - 4ms);
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(*error, HasSubstr("longer than the most a lock accepts"));
}

}  // namespace
}  // namespace locklab::lock
