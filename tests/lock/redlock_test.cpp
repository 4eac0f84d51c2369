// RedLock over five masters in simulated worlds: the quorum, the validity
// formula, early return, retries, extension, fencing across different
// quorums, cancellation and a paused master. Every link takes a fixed 1 ms
// unless a test says otherwise, and connections are opened (and the scripts
// loaded) before the measured call, so the expected times are exact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "lock/lock_world.hpp"
#include "lock/redis_probe.hpp"
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

sim::WorldConfig one_ms_links(bool keep_trace = false) {
  return {.latency = sim::FixedLatency{1ms}, .trace = {.keep_records = keep_trace}};
}

// Five masters, two of them dead: the other three are a quorum (5/2 + 1), so
// the lock is granted by exactly those three. The dead ones refused the
// connection, so their SET cannot have been applied.
TEST(RedLock, AcquiresWithTwoOfFiveMastersDown) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> got;
  w.client("a", [&](sim::Process& p, Backend& b) {
    RedLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 0}});
    (void)p.sleep_for(10ms);
    got = lock.acquire("job", p.now() + 1s);
  });
  w.world.schedule({.at = sim::true_time(1ms), .action = sim::ProcessKill{w.redis[3]}});
  w.world.schedule({.at = sim::true_time(1ms), .action = sim::ProcessKill{w.redis[4]}});
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->outcome, Outcome::acquired) << got->detail;
  EXPECT_THAT(got->lease->nodes, ElementsAre(0u, 1u, 2u));
  ASSERT_EQ(got->nodes.size(), 5u);
  for (std::size_t n : {3u, 4u}) {
    ASSERT_FALSE(got->nodes[n].result.has_value());
    EXPECT_EQ(got->nodes[n].result.error().kind, NodeErrorKind::refused);
    EXPECT_FALSE(got->nodes[n].result.error().maybe_applied);
    EXPECT_FALSE(got->nodes[n].granted);
  }
}

// Three of five dead: the two live masters grant, which is short of the
// quorum. The outcome is timed_out — nobody else holds the key, so `busy`
// would send the caller looking for a holder that does not exist — and every
// attempt undid its grants: the key is gone from both live nodes.
TEST(RedLock, FailsWithThreeOfFiveMastersDownAndUndoesItsGrants) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> got;
  RawReply left_on_0, left_on_1;
  w.client("a", [&](sim::Process& p, Backend& b) {
    RedLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 2, .delay = 50ms, .jitter = 0ms}});
    (void)p.sleep_for(10ms);
    got = lock.acquire("job", p.now() + 1s);
    left_on_0 = raw_call(p, w.redis[0], {"GET", "job"});
    left_on_1 = raw_call(p, w.redis[1], {"GET", "job"});
  });
  for (int n : {2, 3, 4}) {
    w.world.schedule({.at = sim::true_time(1ms), .action = sim::ProcessKill{w.redis[n]}});
  }
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->outcome, Outcome::timed_out);
  EXPECT_EQ(got->attempts, 3);
  EXPECT_FALSE(got->lease.has_value());
  EXPECT_EQ(got->detail, "granted by 2 of 5 nodes, quorum 3");
  ASSERT_EQ(got->nodes.size(), 5u);
  EXPECT_TRUE(got->nodes[0].granted);  // the live nodes did grant ...
  EXPECT_TRUE(got->nodes[1].granted);
  EXPECT_EQ(left_on_0, RawReply::nil());  // ... and the attempt released them
  EXPECT_EQ(left_on_1, RawReply::nil());
}

// validity = ttl − elapsed − (ttl × drift_factor + 2 ms), elapsed on the
// client's own clock. One round trip of 2 ms true time, a TTL of 1 s and a
// drift factor of 1%: 1000 − 2 − (10 + 2) = 986 ms. A client whose clock runs
// 25% fast measures the same round trip as 2.5 ms, and believes its lease
// 0.5 ms less: the formula uses what the client can see, never true time.
TEST(RedLock, ValidityIsTtlMinusElapsedMinusDriftAllowance) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> exact, fast;
  const auto body = [](std::string key, std::optional<Acquired>& out) {
    return [key, &out](sim::Process&, Backend& b) {
      ASSERT_TRUE(warm_up(b));
      RedLock<Backend> lock(b, {.ttl = 1s, .drift_factor = 0.01});
      out = lock.acquire(key, b.now() + 1s);
    };
  };
  w.client("exact", body("job-a", exact));
  w.client("fast", body("job-b", fast), {.drift_ppm = 250'000});
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(exact.has_value() && exact->acquired());
  ASSERT_TRUE(fast.has_value() && fast->acquired());
  EXPECT_EQ(exact->lease->validity_end - exact->lease->attempt_started, 986ms);
  EXPECT_EQ(fast->lease->validity_end - fast->lease->attempt_started, 985500us);
  EXPECT_EQ(exact->lease->nodes.size(), 5u);
}

// The validity must be positive. With a TTL of 100 ms (allowance 1 + 2 ms), a
// round trip of 96 ms leaves 1 ms: granted. A round trip of 97 ms leaves
// exactly 0: every node granted, yet the lock is refused — and the grants are
// released on all five nodes.
TEST(RedLock, AttemptWhoseValidityIsNotPositiveFails) {
  struct Run {
    std::optional<Acquired> got;
    std::vector<RawReply> left;
  };
  const auto run = [](sim::Duration one_way) {
    LockWorld w(5, {.latency = sim::FixedLatency{one_way}});
    Run out;
    w.client("a", [&](sim::Process& p, Backend& b) {
      ASSERT_TRUE(warm_up(b));
      RedLock<Backend> lock(b, {.ttl = 100ms, .drift_factor = 0.01, .node_timeout = 99ms,
                                .retry = {.count = 0}});
      out.got = lock.acquire("job", p.now() + 1s);
      if (out.got->acquired()) return;
      for (sim::ProcessId node : w.redis) out.left.push_back(raw_call(p, node, {"GET", "job"}));
    });
    w.world.run_until(sim::true_time(10s));
    return out;
  };

  const Run just = run(48ms);
  ASSERT_TRUE(just.got.has_value());
  ASSERT_EQ(just.got->outcome, Outcome::acquired) << just.got->detail;
  EXPECT_EQ(just.got->lease->validity_end - just.got->lease->attempt_started, 1ms);

  const Run late = run(48500us);
  ASSERT_TRUE(late.got.has_value());
  EXPECT_EQ(late.got->outcome, Outcome::timed_out);
  EXPECT_EQ(late.got->detail, "validity not positive: the attempt took too long");
  ASSERT_EQ(late.got->nodes.size(), 5u);
  for (const NodeOutcome& n : late.got->nodes) EXPECT_TRUE(n.granted) << "node " << n.node;
  EXPECT_EQ(late.left, std::vector<RawReply>(5, RawReply::nil()));
}

// With return_early, an attempt stops waiting once three of five nodes said
// yes. One node's SET is held up 500 ms in the network: without return_early
// the attempt waits for it (a 502 ms round trip); with it, the attempt ends
// with the four fast replies, after 2 ms, and the validity counts only those.
TEST(RedLock, ReturnEarlyEndsTheAttemptOnceTheQuorumGranted) {
  struct Run {
    std::optional<Acquired> got;
    sim::Duration elapsed{};
  };
  const auto run = [](bool return_early) {
    LockWorld w(5, one_ms_links());
    Run out;
    const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
      ASSERT_TRUE(warm_up(b));
      (void)p.sleep_for(100ms);  // the delay is armed meanwhile
      RedLock<Backend> lock(b, {.ttl = 10s, .drift_factor = 0.01, .node_timeout = 1s,
                                .return_early = return_early});
      const sim::LocalTime start = p.now();
      out.got = lock.acquire("job", p.now() + 5s);
      out.elapsed = p.now() - start;
    });
    w.world.schedule({.at = sim::true_time(50ms),
                      .action = sim::MessageDelay{a, w.redis[4], 500ms, 1}});
    w.world.run_until(sim::true_time(5s));
    return out;
  };

  const Run early = run(true);
  ASSERT_TRUE(early.got.has_value() && early.got->acquired());
  EXPECT_EQ(early.elapsed, 2ms);
  EXPECT_EQ(early.got->lease->validity_end - early.got->lease->attempt_started,
            10s - 2ms - 102ms);
  EXPECT_THAT(early.got->lease->nodes, ::testing::Not(::testing::Contains(4u)));
  ASSERT_FALSE(early.got->nodes[4].result.has_value());  // still out when we returned
  EXPECT_EQ(early.got->nodes[4].result.error().kind, NodeErrorKind::timed_out);
  EXPECT_TRUE(early.got->nodes[4].result.error().maybe_applied);

  const Run patient = run(false);
  ASSERT_TRUE(patient.got.has_value() && patient.got->acquired());
  EXPECT_EQ(patient.elapsed, 502ms);
  EXPECT_THAT(patient.got->lease->nodes, ElementsAre(0u, 1u, 2u, 3u, 4u));
}

// With return_early, an attempt also stops once the quorum has become
// impossible: another client holds the key on three of five nodes, so after
// their three refusals (at 2 ms) the slow fifth node cannot change anything.
// The attempt then releases (2 ms on the pooled connections; the slow node's
// connection is still busy, so a new one: 2 ms to open, 2 ms to ask). Without
// return_early it waits 502 ms for the slow node, then releases in 2 ms.
TEST(RedLock, ReturnEarlyEndsTheAttemptOnceTheQuorumIsImpossible) {
  struct Run {
    std::optional<Acquired> got;
    sim::Duration elapsed{};
  };
  const auto run = [](bool return_early) {
    LockWorld w(5, one_ms_links());
    Run out;
    w.client("holder", [&](sim::Process& p, Backend&) {
      for (int n : {0, 1, 2}) (void)raw_call(p, w.redis[n], {"SET", "job", "theirs", "PX", "60000"});
    });
    const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
      ASSERT_TRUE(warm_up(b));
      (void)p.sleep_for(100ms);
      RedLock<Backend> lock(b, {.ttl = 10s, .drift_factor = 0.01, .node_timeout = 1s,
                                .retry = {.count = 0}, .return_early = return_early});
      const sim::LocalTime start = p.now();
      out.got = lock.acquire("job", p.now() + 5s);
      out.elapsed = p.now() - start;
    });
    w.world.schedule({.at = sim::true_time(50ms),
                      .action = sim::MessageDelay{a, w.redis[4], 500ms, 1}});
    w.world.run_until(sim::true_time(5s));
    return out;
  };

  // Returning early leaves the slow node's SET on its way: it may land after
  // the release and hold the key there for us until its TTL, but one node
  // can never make a quorum, and three refusals named another holder — busy,
  // and the detail says what the TTL still cleans up.
  const Run early = run(true);
  ASSERT_TRUE(early.got.has_value());
  EXPECT_EQ(early.got->outcome, Outcome::busy);
  EXPECT_THAT(early.got->detail, HasSubstr("expire by the TTL"));
  EXPECT_EQ(early.elapsed, 2ms + 4ms);

  const Run patient = run(false);
  ASSERT_TRUE(patient.got.has_value());
  EXPECT_EQ(patient.got->outcome, Outcome::busy);
  EXPECT_EQ(patient.elapsed, 502ms + 2ms);
}

// Retries wait `delay` plus a uniform jitter in [0, jitter] between attempts,
// and never start one after the deadline. Another client holds the key for a
// minute; ours retries for 1 s with 200 ms + [0, 100] ms between attempts. Each
// attempt costs 4 ms (SET, then the release), so consecutive SETs reach a node
// 204 to 304 ms apart, 4 or 5 of them fit before the deadline, the call ends
// before the deadline but no earlier than one maximal wait before it, and the
// jitter really varies.
TEST(RedLock, RetriesWaitDelayPlusJitterAndRespectTheDeadline) {
  LockWorld w(5, one_ms_links(/*keep_trace=*/true));
  std::optional<Acquired> got;
  sim::TrueTime started{}, ended{};
  w.client("holder", [&](sim::Process& p, Backend&) {
    for (sim::ProcessId n : w.redis) (void)raw_call(p, n, {"SET", "job", "theirs", "PX", "60000"});
  });
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(100ms);
    RedLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 1000, .delay = 200ms, .jitter = 100ms}});
    started = w.world.true_now();
    got = lock.acquire("job", p.now() + 1s);
    ended = w.world.true_now();
  });
  w.world.run_until(sim::true_time(5s));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->outcome, Outcome::timed_out);
  EXPECT_EQ(got->detail, "the next attempt would start after the deadline");
  EXPECT_LT(ended, started + 1s);
  EXPECT_GE(ended, started + 1s - 300ms);

  std::vector<sim::TrueTime> sets;
  for (const auto& c : testing::commands_received(w.world, w.redis[0], "SET")) {
    if (c.at > started) sets.push_back(c.at);  // ours: the holder's came first
  }
  ASSERT_EQ(sets.size(), static_cast<std::size_t>(got->attempts));
  EXPECT_GE(got->attempts, 4);
  EXPECT_LE(got->attempts, 5);
  std::set<sim::Duration> gaps;
  for (std::size_t i = 1; i < sets.size(); ++i) {
    EXPECT_GE(sets[i] - sets[i - 1], 204ms);
    EXPECT_LE(sets[i] - sets[i - 1], 304ms);
    gaps.insert(sets[i] - sets[i - 1]);
  }
  EXPECT_GT(gaps.size(), 1u);
  EXPECT_LT(sets.back(), started + 1s);
}

// A caller's RetryPolicy replaces delay and jitter: it is asked after each
// failed attempt with how many failed so far and how the last one ended, and
// says how long to wait or to stop. This one waits 10 ms twice, then stops:
// three attempts of 4 ms each plus two waits make 32 ms.
TEST(RedLock, RetryPolicyIsAskedWithFailuresAndOutcomeAndCanStop) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> got;
  std::vector<std::pair<int, Outcome>> asked;
  sim::Duration elapsed{};
  w.client("holder", [&](sim::Process& p, Backend&) {
    for (sim::ProcessId n : w.redis) (void)raw_call(p, n, {"SET", "job", "theirs", "PX", "60000"});
  });
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(100ms);
    RedLock<Backend> lock(
        b, {.ttl = 10s,
            .retry_policy = [&](int failed, Outcome last) -> std::optional<std::chrono::nanoseconds> {
              asked.emplace_back(failed, last);
              if (failed < 3) return 10ms;
              return std::nullopt;
            }});
    const sim::LocalTime start = p.now();
    got = lock.acquire("job", p.now() + 10s);
    elapsed = p.now() - start;
  });
  w.world.run_until(sim::true_time(5s));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->outcome, Outcome::busy);
  EXPECT_EQ(got->attempts, 3);
  EXPECT_THAT(asked, ElementsAre(std::pair{1, Outcome::busy}, std::pair{2, Outcome::busy},
                                 std::pair{3, Outcome::busy}));
  EXPECT_EQ(elapsed, 3 * 4ms + 2 * 10ms);
}

// extend renews the lease for another TTL from the moment it is asked:
// 500 ms after acquiring, with two masters gone meanwhile, the three left
// renew (a quorum), and the new validity end is the extend's start + 986 ms
// (the dead nodes refuse within the same 2 ms round trip).
TEST(RedLock, ExtendRenewsOnTheQuorum) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> got;
  std::optional<ExtendResult> ext;
  sim::LocalTime first_end{}, extend_start{};
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    RedLock<Backend> lock(b, {.ttl = 1s, .drift_factor = 0.01});
    got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got->acquired());
    first_end = got->lease->validity_end;
    (void)p.sleep_for(500ms);
    extend_start = p.now();
    ext = lock.extend(*got->lease, p.now() + 1s);
  });
  w.world.schedule({.at = sim::true_time(300ms), .action = sim::ProcessKill{w.redis[1]}});
  w.world.schedule({.at = sim::true_time(300ms), .action = sim::ProcessKill{w.redis[3]}});
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(ext.has_value());
  ASSERT_EQ(ext->outcome, Outcome::extended) << ext->detail;
  EXPECT_EQ(got->lease->validity_end, extend_start + 986ms);
  EXPECT_GT(got->lease->validity_end, first_end);
  EXPECT_THAT(got->lease->nodes, ElementsAre(0u, 2u, 4u));
  ASSERT_EQ(ext->nodes.size(), 5u);
  EXPECT_FALSE(ext->nodes[1].granted);
  EXPECT_FALSE(ext->nodes[3].granted);
}

// A lease whose validity has ended on the holder's clock is not extended —
// another client may hold the key by now — and nothing is sent to any node.
TEST(RedLock, ExtendRefusesAnExpiredLeaseWithoutSendingAnything) {
  LockWorld w(5, one_ms_links());
  std::optional<ExtendResult> ext;
  std::uint64_t sent_before = 0, sent_after = 0;
  sim::LocalTime end_before{}, end_after{};
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    RedLock<Backend> lock(b, {.ttl = 100ms, .node_timeout = 10ms});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got) << got.detail;
    (void)p.sleep_for(200ms);
    end_before = got.lease->validity_end;
    sent_before = b.stats().requests;
    ext = lock.extend(*got.lease, p.now() + 1s);
    sent_after = b.stats().requests;
    end_after = got.lease->validity_end;
  });
  w.world.run_until(sim::true_time(1s));
  ASSERT_TRUE(ext.has_value());
  EXPECT_EQ(ext->outcome, Outcome::lost);
  EXPECT_THAT(ext->detail, HasSubstr("expired"));
  EXPECT_TRUE(ext->nodes.empty());
  EXPECT_GT(sent_before, 0u);
  EXPECT_EQ(sent_after, sent_before);
  EXPECT_EQ(end_after, end_before);
}

// A quorum above the default is honoured: 5 of 5 is granted while every node
// is up, and refused (timed_out) once one is down, though four of five would
// be a majority.
TEST(RedLock, ConfiguredQuorumOfFiveOfFiveIsHonoured) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> all_up, one_down;
  w.client("a", [&](sim::Process& p, Backend& b) {
    RedLock<Backend> lock(b, {.ttl = 10s, .quorum = 5, .retry = {.count = 0}});
    all_up = lock.acquire("job", p.now() + 1s);
    if (all_up->acquired()) (void)lock.release(*all_up->lease);
    (void)p.sleep_for(100ms);
    one_down = lock.acquire("job", p.now() + 1s);
  });
  w.world.schedule({.at = sim::true_time(50ms), .action = sim::ProcessKill{w.redis[2]}});
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(all_up.has_value());
  ASSERT_EQ(all_up->outcome, Outcome::acquired) << all_up->detail;
  EXPECT_EQ(all_up->lease->nodes.size(), 5u);
  ASSERT_TRUE(one_down.has_value());
  EXPECT_EQ(one_down->outcome, Outcome::timed_out);
  EXPECT_EQ(one_down->detail, "granted by 4 of 5 nodes, quorum 5");
}

// Fencing tokens over five nodes increase across grants even when each
// grant's quorum is a different three nodes (the client is cut off from a
// different pair each time). Without the raise round, the third grant
// (nodes 0, 1, 4, counters 1, 1, 1) would draw 2 again; with it, the second
// grant lifted nodes 3 and 4 to 2, so the third draws 3. The counters end as
// a max register leaves them.
TEST(RedLock, FencingTokensIncreaseAcrossGrantsWithDifferentQuorums) {
  LockWorld w(5, one_ms_links());
  std::vector<std::uint64_t> tokens;
  std::vector<std::vector<std::size_t>> quorums;
  std::vector<RawReply> counters;
  const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
    RedLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 0}, .fencing = true});
    for (int i = 1; i <= 4; ++i) {
      (void)p.sleep_until(sim::local_time(i * 500ms));
      auto got = lock.acquire("job", p.now() + 1s);
      ASSERT_TRUE(got) << "grant " << i << ": " << got.detail;
      tokens.push_back(got.lease->fencing_token.value_or(0));
      quorums.push_back(got.lease->nodes);
      (void)lock.release(*got.lease);
    }
    (void)p.sleep_until(sim::local_time(2500ms));  // every link healed
    for (sim::ProcessId n : w.redis) counters.push_back(raw_call(p, n, {"GET", "job:fence"}));
  });
  const std::vector<std::vector<int>> cut = {{3, 4}, {0, 1}, {2, 3}, {3, 4}};
  for (std::size_t i = 0; i < cut.size(); ++i) {
    std::vector<sim::ProcessId> nodes;
    for (int n : cut[i]) nodes.push_back(w.redis[static_cast<std::size_t>(n)]);
    const sim::TrueTime at = sim::true_time(static_cast<int>(i) * 500ms + 250ms);
    w.world.schedule({.at = at, .action = sim::LinkPartition{.from = {a}, .to = nodes,
                                                             .mode = sim::PartitionMode::reset}});
    w.world.schedule({.at = at + 500ms - 1ms, .action = sim::LinkHeal{.from = {a}, .to = nodes}});
  }
  w.world.run_until(sim::true_time(5s));
  EXPECT_THAT(tokens, ElementsAre(1u, 2u, 3u, 4u));
  EXPECT_THAT(quorums, ElementsAre(ElementsAre(0u, 1u, 2u), ElementsAre(2u, 3u, 4u),
                                   ElementsAre(0u, 1u, 4u), ElementsAre(0u, 1u, 2u)));
  EXPECT_EQ(counters, (std::vector<RawReply>{RawReply::bulk("4"), RawReply::bulk("4"),
                                             RawReply::bulk("4"), RawReply::bulk("2"),
                                             RawReply::bulk("3")}));
}

// A stop_source fired while acquire sleeps between retries ends the call at
// that moment, as `cancelled`: attempts at +0 and +204 ms, the stop at
// +250 ms, back at +250 ms.
TEST(RedLock, StopSourceCancelsRetriesPromptly) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> got;
  sim::Duration elapsed{};
  w.client("holder", [&](sim::Process& p, Backend&) {
    for (sim::ProcessId n : w.redis) (void)raw_call(p, n, {"SET", "job", "theirs", "PX", "60000"});
  });
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(100ms);
    RedLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 100, .delay = 200ms, .jitter = 0ms}});
    std::stop_source stop;
    b.spawn("canceller", [&] {
      (void)p.sleep_for(250ms);
      stop.request_stop();
    });
    const sim::LocalTime start = p.now();
    got = lock.acquire("job", p.now() + 10s, stop.get_token());
    elapsed = p.now() - start;
  });
  w.world.run_until(sim::true_time(5s));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->outcome, Outcome::cancelled);
  EXPECT_EQ(got->attempts, 2);
  EXPECT_EQ(elapsed, 250ms);
}

// With require_deadline, a blocking call without a deadline is the caller's
// mistake at run time: `invalid`, and nothing is sent. With a deadline the
// same lock works.
TEST(RedLock, RequireDeadlineRefusesCallsWithoutOne) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> without, with;
  std::optional<ExtendResult> extend_without;
  std::uint64_t sent_by_invalid_calls = 1;
  w.client("a", [&](sim::Process& p, Backend& b) {
    RedLock<Backend> lock(b, {.ttl = 10s, .require_deadline = true});
    without = lock.acquire("job");
    sent_by_invalid_calls = b.stats().requests;
    with = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(with->acquired());
    const std::uint64_t before = b.stats().requests;
    extend_without = lock.extend(*with->lease);
    sent_by_invalid_calls += b.stats().requests - before;
  });
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->outcome, Outcome::invalid);
  EXPECT_THAT(without->detail, HasSubstr("require_deadline"));
  EXPECT_EQ(without->attempts, 0);
  ASSERT_TRUE(extend_without.has_value());
  EXPECT_EQ(extend_without->outcome, Outcome::invalid);
  EXPECT_EQ(sent_by_invalid_calls, 0u);
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(with->outcome, Outcome::acquired);
}

// A paused master keeps its connection but answers nothing: its SET times
// out after the node timeout (10 ms for a 1 s TTL), and since it was sent it
// may have been applied — and it was: after the resume the node holds our
// token. The other four grant; the attempt took the full 10 ms.
TEST(RedLock, PausedMasterTimesOutAndMayHaveApplied) {
  LockWorld w(5, one_ms_links());
  std::optional<Acquired> got;
  sim::Duration elapsed{};
  RawReply after_resume;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(100ms);
    RedLock<Backend> lock(b, {.ttl = 1s, .drift_factor = 0.01});
    const sim::LocalTime start = p.now();
    got = lock.acquire("job", p.now() + 1s);
    elapsed = p.now() - start;
    (void)p.sleep_for(200ms);
    after_resume = raw_call(p, w.redis[4], {"GET", "job"});
  });
  w.world.schedule({.at = sim::true_time(50ms), .action = sim::ProcessPause{w.redis[4]}});
  w.world.schedule({.at = sim::true_time(200ms), .action = sim::ProcessResume{w.redis[4]}});
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->outcome, Outcome::acquired) << got->detail;
  EXPECT_EQ(elapsed, 10ms);
  EXPECT_EQ(got->lease->validity_end - got->lease->attempt_started, 1000ms - 10ms - 12ms);
  EXPECT_THAT(got->lease->nodes, ElementsAre(0u, 1u, 2u, 3u));
  const NodeResult& paused = got->nodes[4].result;
  ASSERT_FALSE(paused.has_value());
  EXPECT_EQ(paused.error().kind, NodeErrorKind::timed_out);
  EXPECT_TRUE(paused.error().maybe_applied);
  EXPECT_EQ(after_resume, RawReply::bulk(got->lease->token));
}

}  // namespace
}  // namespace locklab::lock
