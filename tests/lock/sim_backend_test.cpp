// The simulated lock backend: the seam's promises, shown in worlds.
#include <gtest/gtest.h>

#include <stop_token>

#include "locklab/lock/redis_error.hpp"
#include "locklab/sim/lock_backend.hpp"
#include "locklab/sim/redis/deployment.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;

void set_round_trip(World& world, ProcessId a, ProcessId b, Duration one_way) {
  world.network().set_latency(a, b, FixedLatency{one_way});
  world.network().set_latency(b, a, FixedLatency{one_way});
}

// Three nodes 1, 2 and 5 ms away: asking all three at once takes the slowest
// round trip (10 ms), not the sum of the three (16 ms).
TEST(LockBackend, FanOutCostsTheSlowestNodeNotTheSum) {
  World world;
  const std::vector<ProcessId> nodes = {world.add_process(redis::redis_server("r1")),
                                        world.add_process(redis::redis_server("r2")),
                                        world.add_process(redis::redis_server("r3"))};
  Duration elapsed{};
  std::vector<lock::NodeResult> replies;
  const ProcessId client = world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, nodes);
    const std::vector<std::size_t> all = {0, 1, 2};
    (void)b.fan_out(all, {"PING"}, p.now() + 1s);  // opens the connections
    const TrueTime start = world.true_now();
    replies = b.fan_out(all, {"PING"}, p.now() + 1s);
    elapsed = world.true_now() - start;
  }});
  set_round_trip(world, client, nodes[0], 1ms);
  set_round_trip(world, client, nodes[1], 2ms);
  set_round_trip(world, client, nodes[2], 5ms);
  world.run_until(true_time(1s));
  ASSERT_EQ(replies.size(), 3u);
  for (const lock::NodeResult& r : replies) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, lock::Reply::status("PONG"));
  }
  EXPECT_EQ(elapsed, 10ms);
}

// The same three nodes asked sequentially: the sum of the round trips
// (2 + 4 + 10 ms), one request out at a time, replies in node order. With a
// deadline of 7 ms the third node is asked at 6 ms and unanswered by 7 ms
// (timed_out, maybe applied); with 5 ms the second is unanswered by then,
// and the third's turn comes after the deadline: never asked (not applied).
// An observer that stops after the first leaves the others unsent.
TEST(LockBackend, SequentialFanOutCostsTheSumAndAsksOneNodeAtATime) {
  World world;
  const std::vector<ProcessId> nodes = {world.add_process(redis::redis_server("r1")),
                                        world.add_process(redis::redis_server("r2")),
                                        world.add_process(redis::redis_server("r3"))};
  Duration elapsed{};
  std::vector<lock::NodeResult> replies, cut, late, stopped;
  std::vector<std::size_t> order;
  std::size_t peak = 0;
  const ProcessId client = world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, nodes, {.fan_out = lock::FanOutMode::sequential});
    const std::vector<std::size_t> all = {0, 1, 2};
    (void)b.fan_out(all, {"PING"}, p.now() + 1s);  // opens the connections
    const TrueTime start = world.true_now();
    replies = b.fan_out(all, {"PING"}, p.now() + 1s, {}, [&](std::size_t i, const lock::NodeResult&) {
      order.push_back(i);
      return true;
    });
    elapsed = world.true_now() - start;
    peak = b.stats().peak_in_flight;
    cut = b.fan_out(all, {"SET", "cut", "1"}, p.now() + 7ms);
    (void)b.fan_out(all, {"PING"}, p.now() + 1s);  // a new connection to the third node, before the clock starts
    late = b.fan_out(all, {"SET", "late", "1"}, p.now() + 5ms);
    stopped = b.fan_out(all, {"SET", "stopped", "1"}, p.now() + 1s, {},
                        [](std::size_t, const lock::NodeResult&) { return false; });
  }});
  set_round_trip(world, client, nodes[0], 1ms);
  set_round_trip(world, client, nodes[1], 2ms);
  set_round_trip(world, client, nodes[2], 5ms);
  world.run_until(true_time(1s));
  ASSERT_EQ(replies.size(), 3u);
  for (const lock::NodeResult& r : replies) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, lock::Reply::status("PONG"));
  }
  EXPECT_EQ(elapsed, 16ms);
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(peak, 1u);
  ASSERT_EQ(cut.size(), 3u);
  EXPECT_TRUE(cut[0].has_value());
  EXPECT_TRUE(cut[1].has_value());
  ASSERT_FALSE(cut[2].has_value());
  EXPECT_EQ(cut[2].error().kind, lock::NodeErrorKind::timed_out);
  EXPECT_TRUE(cut[2].error().maybe_applied);  // sent at 6 ms, no reply by 7 ms
  ASSERT_EQ(late.size(), 3u);
  EXPECT_TRUE(late[0].has_value());
  ASSERT_FALSE(late[1].has_value());
  EXPECT_EQ(late[1].error().kind, lock::NodeErrorKind::timed_out);
  EXPECT_TRUE(late[1].error().maybe_applied);
  ASSERT_FALSE(late[2].has_value());
  EXPECT_EQ(late[2].error().kind, lock::NodeErrorKind::timed_out);
  EXPECT_FALSE(late[2].error().maybe_applied);
  ASSERT_EQ(stopped.size(), 3u);
  EXPECT_TRUE(stopped[0].has_value());
  for (std::size_t i : {1, 2}) {
    ASSERT_FALSE(stopped[i].has_value());
    EXPECT_EQ(stopped[i].error().kind, lock::NodeErrorKind::cancelled);
    EXPECT_FALSE(stopped[i].error().maybe_applied);
  }
}

// Cold script caches: each node answers the EVALSHA with NOSCRIPT, and the
// fallback EVAL goes out on that same connection at once — no new
// connection, two round trips in all, on both of the backend's paths (the
// pipelined one, and a fiber per request when the caller watches replies).
// The caller's observer and result never see NOSCRIPT.
TEST(LockBackend, NoscriptFallbackGoesOnTheSameConnectionAtOnce) {
  for (const bool watch : {false, true}) {
    World world({.latency = FixedLatency{1ms}});
    const std::vector<ProcessId> nodes = {world.add_process(redis::redis_server("r1")),
                                          world.add_process(redis::redis_server("r2"))};
    Duration elapsed{};
    std::vector<lock::NodeResult> replies;
    std::vector<lock::NodeResult> observed;
    std::uint64_t opened_before = 0, opened_after = 0;
    world.add_process({.name = "client", .main = [&](Process& p) {
      LockBackend b(p, nodes);
      const std::vector<std::size_t> all = {0, 1};
      (void)b.fan_out(all, {"PING"}, p.now() + 1s);  // opens the connections
      opened_before = b.stats().connections_opened;
      const std::string script = "return redis.call('INCR', KEYS[1])";
      const std::string sha = "a7e0ecd4a8ebad5ad0a0fd0f1e6bd18ff6f54e12";  // not loaded: NOSCRIPT
      lock::ReplyObserver observer;
      if (watch) {
        observer = [&](std::size_t, const lock::NodeResult& r) {
          observed.push_back(r);
          return true;
        };
      }
      const TrueTime start = world.true_now();
      replies = b.fan_out(all, {"EVALSHA", sha, "1", "n"}, p.now() + 1s, {}, observer,
                          {"EVAL", script, "1", "n"});
      elapsed = world.true_now() - start;
      opened_after = b.stats().connections_opened;
    }});
    world.run_until(true_time(1s));
    ASSERT_EQ(replies.size(), 2u);
    for (const lock::NodeResult& r : replies) {
      ASSERT_TRUE(r.has_value()) << "watch " << watch;
      EXPECT_EQ(*r, lock::Reply::integer_reply(1)) << "watch " << watch;
    }
    EXPECT_EQ(elapsed, 4ms) << "watch " << watch;
    EXPECT_EQ(opened_after, opened_before) << "watch " << watch;
    EXPECT_EQ(observed.size(), watch ? 2u : 0u);
    for (const lock::NodeResult& r : observed) EXPECT_FALSE(lock::is_noscript(r));
  }
}

// A request that timed out is not forgotten by the network: its reply still
// comes. The backend drops that connection, so the next request, on a new
// one, gets its own reply — never the late one.
TEST(LockBackend, TimedOutConnectionIsReplacedSoALateReplyIsNeverMatched) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis::redis_server("redis"));
  lock::NodeResult first, second;
  LockBackendStats stats;
  const ProcessId client = world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, {node});
    (void)b.call(0, {"PING"}, p.now() + 1s);
    first = b.call(0, {"INCR", "counter"}, p.now() + 10ms);  // delayed by 50 ms: times out
    (void)p.sleep_for(100ms);
    second = b.call(0, {"GET", "counter"}, p.now() + 1s);
    stats = b.stats();
  }});
  world.schedule({.at = true_time(3ms), .action = MessageDelay{client, node, 50ms, 1}});  // the INCR
  world.run_until(true_time(1s));
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().kind, lock::NodeErrorKind::timed_out);
  EXPECT_TRUE(first.error().maybe_applied);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, lock::Reply::bulk("1"));  // the late INCR was applied; GET got GET's reply
  EXPECT_EQ(stats.connections_opened, 2u);
  EXPECT_EQ(stats.connections_dropped, 1u);
}

// Nothing listens on a killed node's port: the request was never sent, so it
// cannot have been applied.
TEST(LockBackend, RefusedConnectionIsNeverMaybeApplied) {
  World world;
  const ProcessId node = world.add_process(redis::redis_server("redis"));
  lock::NodeResult r;
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, {node});
    (void)p.sleep_for(10ms);
    r = b.call(0, {"SET", "k", "v"}, p.now() + 1s);
  }});
  world.schedule({.at = true_time(1ms), .action = ProcessKill{node}});
  world.run_until(true_time(1s));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, lock::NodeErrorKind::refused);
  EXPECT_FALSE(r.error().maybe_applied);
}

// A pooled connection to a master that a failover demotes is refused with
// READONLY; the backend drops it, so the next request connects again and
// the node's logical name resolves to the promoted replica. Kept in the
// pool, it would hold every later request on the demoted node.
TEST(LockBackend, ConnectionRefusedWithReadonlyIsDroppedSoTheNextRequestFindsTheNewMaster) {
  World world({.latency = FixedLatency{1ms}});
  redis::Deployment redis(world);
  redis.add_shard({.name = "cache", .replicas = 1});
  redis.schedule_failover(true_time(100ms), "cache");
  std::vector<lock::NodeResult> replies;
  LockBackendStats stats;
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, std::vector<LockNode>{{"cache", redis.resolver("cache")}});
    replies.push_back(b.call(0, {"SET", "k", "before"}, p.now() + 1s));
    (void)p.sleep_until(LocalTime{200ms});
    replies.push_back(b.call(0, {"SET", "k", "demoted"}, p.now() + 1s));
    replies.push_back(b.fan_out(std::vector<std::size_t>{0}, {"SET", "k", "after"}, p.now() + 1s)[0]);
    stats = b.stats();
  }});
  world.run_until(true_time(1s));
  ASSERT_EQ(redis.failovers().size(), 1u);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], lock::Reply::ok());
  EXPECT_EQ(lock::redis_error_of(replies[1]), lock::RedisErrorKind::readonly);
  EXPECT_EQ(replies[2], lock::Reply::ok());
  EXPECT_EQ(stats.connections_opened, 2u);
  EXPECT_EQ(stats.connections_dropped, 1u);
}

// A killed node's kernel closes its connections (a FIN: it had read every
// request), so the client's idle pooled connection is closed from the far
// end. The backend looks before reusing it, as the production pool does: it
// is discarded and nothing is sent on it, so the request is known not to be
// applied (refused on a fresh connection), not "maybe applied".
TEST(LockBackend, IdleConnectionClosedByAKilledNodeIsDiscardedBeforeSending) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis::redis_server("redis"));
  lock::NodeResult r;
  LockBackendStats stats;
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, {node});
    ASSERT_TRUE(b.call(0, {"PING"}, p.now() + 1s).has_value());  // pools the connection
    (void)p.sleep_for(20ms);
    r = b.call(0, {"SET", "k", "v"}, p.now() + 1s);
    stats = b.stats();
  }});
  world.schedule({.at = true_time(10ms), .action = ProcessKill{node}});
  world.run_until(true_time(1s));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, lock::NodeErrorKind::refused);
  EXPECT_FALSE(r.error().maybe_applied);
  EXPECT_EQ(stats.connections_dropped, 1u);
  EXPECT_EQ(stats.requests, 1u);  // the PING: the SET was never sent
}

// The node is back (restarted) by the time the client asks again: the stale
// pooled connection is discarded unused and the request goes out on a fresh
// one and is applied — by a single call and by a fan-out (whose pipelined
// path sends the request on a fiber of its own instead).
TEST(LockBackend, IdleConnectionToARestartedNodeIsReplacedBeforeSending) {
  for (const bool fan_out : {false, true}) {
    World world({.latency = FixedLatency{1ms}});
    const std::vector<ProcessId> nodes = {world.add_process(redis::redis_server("r1")),
                                          world.add_process(redis::redis_server("r2"))};
    std::vector<lock::NodeResult> sets;
    lock::NodeResult got;
    LockBackendStats stats;
    world.add_process({.name = "client", .main = [&](Process& p) {
      LockBackend b(p, nodes);
      const std::vector<std::size_t> both = {0, 1};
      (void)b.fan_out(both, {"PING"}, p.now() + 1s);  // pools both connections
      (void)p.sleep_for(20ms);
      if (fan_out) {
        sets = b.fan_out(both, {"SET", "k", "v"}, p.now() + 1s);
      } else {
        sets.push_back(b.call(1, {"SET", "k", "v"}, p.now() + 1s));
      }
      got = b.call(1, {"GET", "k"}, p.now() + 1s);
      stats = b.stats();
    }});
    world.schedule({.at = true_time(10ms), .action = ProcessKill{nodes[1]}});
    world.schedule({.at = true_time(11ms), .action = ProcessRestart{nodes[1]}});
    world.run_until(true_time(1s));
    for (const lock::NodeResult& r : sets) {
      ASSERT_TRUE(r.has_value()) << "fan_out " << fan_out << ": " << r.error().detail;
      EXPECT_EQ(*r, lock::Reply::status("OK"));
    }
    ASSERT_TRUE(got.has_value()) << "fan_out " << fan_out;
    EXPECT_EQ(*got, lock::Reply::bulk("v"));
    EXPECT_EQ(stats.connections_opened, 3u) << "fan_out " << fan_out;
    EXPECT_EQ(stats.connections_dropped, 1u) << "fan_out " << fan_out;
  }
}

// With at most two requests out at once, five requests to one node go out in
// waves; none is lost, and the peak never exceeds the bound. Under a 3 ms
// deadline the first wave (2 ms) answers, the second is out when the
// deadline comes (maybe applied), and the fifth never gets a slot (unsent).
TEST(LockBackend, InFlightBoundQueuesRequestsAndFailsUnsentOnesAtTheDeadline) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis::redis_server("redis"));
  std::vector<lock::NodeResult> all, tight;
  LockBackendStats stats;
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, {node}, {.max_in_flight = 2});
    const std::vector<std::size_t> five(5, 0);  // node 0, five times
    all = b.fan_out(five, {"INCR", "n"}, p.now() + 1s);
    tight = b.fan_out(five, {"INCR", "n"}, p.now() + 3ms);
    stats = b.stats();
  }});
  world.run_until(true_time(2s));
  ASSERT_EQ(all.size(), 5u);
  for (const auto& r : all) EXPECT_TRUE(r.has_value() && r->type == lock::ReplyType::integer);
  EXPECT_EQ(stats.peak_in_flight, 2u);
  int ok = 0, out_at_deadline = 0, no_slot = 0;
  for (const auto& r : tight) {
    if (r) {
      ++ok;
    } else if (r.error().kind == lock::NodeErrorKind::no_slot) {
      EXPECT_FALSE(r.error().maybe_applied);
      ++no_slot;
    } else if (r.error().kind == lock::NodeErrorKind::timed_out) {
      EXPECT_TRUE(r.error().maybe_applied);
      ++out_at_deadline;
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(out_at_deadline, 2);
  EXPECT_EQ(no_slot, 1);
  EXPECT_EQ(stats.no_slot, 1u);
}

// A fan-out whose caller stops waiting while a request still waits for a
// slot reports that request as never applied — no_slot at the deadline,
// cancelled at a stop — and never sends it afterwards, as the production
// backend does. The one slot is held by a PING to a paused node; the
// abandoned INCRs would have gone out when it was answered.
TEST(LockBackend, RequestsAbandonedBeforeTheyAreSentAreNeverApplied) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis::redis_server("redis"));
  std::vector<lock::NodeResult> at_deadline, at_stop;
  lock::NodeResult pong, counter;
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, {node}, {.max_in_flight = 1});
    (void)b.call(0, {"PING"}, p.now() + 1s);  // a pooled connection
    p.world().apply(ProcessPause{node});
    b.spawn("slot-holder", [&] { pong = b.call(0, {"PING"}, p.now() + 1s); });
    (void)p.sleep_for(5ms);
    std::stop_source stop;
    b.spawn("canceller", [&] {
      (void)p.sleep_for(20ms);
      stop.request_stop();
    });
    at_deadline = b.fan_out(std::vector<std::size_t>{0}, {"INCR", "n"}, p.now() + 10ms);
    at_stop = b.fan_out(std::vector<std::size_t>{0}, {"INCR", "n"}, p.now() + 1s, stop.get_token());
    p.world().apply(ProcessResume{node});
    (void)p.sleep_for(50ms);  // the PING is answered; its slot is free
    counter = b.call(0, {"GET", "n"}, p.now() + 1s);
  }});
  world.run_until(true_time(1s));
  ASSERT_EQ(at_deadline.size(), 1u);
  ASSERT_FALSE(at_deadline[0].has_value());
  EXPECT_EQ(at_deadline[0].error().kind, lock::NodeErrorKind::no_slot);
  EXPECT_FALSE(at_deadline[0].error().maybe_applied);
  ASSERT_EQ(at_stop.size(), 1u);
  ASSERT_FALSE(at_stop[0].has_value());
  EXPECT_EQ(at_stop[0].error().kind, lock::NodeErrorKind::cancelled);
  EXPECT_FALSE(at_stop[0].error().maybe_applied);
  EXPECT_EQ(pong, lock::Reply::status("PONG"));
  EXPECT_EQ(counter, lock::Reply::nil()) << "an abandoned INCR was sent after all";
}

// A fan-out returns as soon as the caller's stop token fires; requests
// already sent are reported cancelled and may have been applied. (The
// connection is opened first: a request still connecting was never sent.)
TEST(LockBackend, StopTokenEndsAFanOutAtOnce) {
  World world({.latency = FixedLatency{10ms}});
  const ProcessId node = world.add_process(redis::redis_server("redis"));
  std::vector<lock::NodeResult> r;
  Duration waited{};
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, {node});
    ASSERT_TRUE(b.call(0, {"PING"}, p.now() + 1s));
    std::stop_source stop;
    b.spawn("canceller", [&] {
      (void)p.sleep_for(3ms);
      stop.request_stop();
    });
    const LocalTime start = p.now();
    r = b.fan_out(std::vector<std::size_t>{0}, {"PING"}, p.now() + 1s, stop.get_token());
    waited = p.now() - start;
  }});
  world.run_until(true_time(1s));
  ASSERT_EQ(r.size(), 1u);
  ASSERT_FALSE(r[0].has_value());
  EXPECT_EQ(r[0].error().kind, lock::NodeErrorKind::cancelled);
  EXPECT_TRUE(r[0].error().maybe_applied);
  EXPECT_EQ(waited, 3ms);
}

// An Event wakes its waiter when set, at its deadline otherwise, and at once
// when the stop token fires; sleep_until is cut short by a stop.
TEST(LockBackend, EventAndSleepHonourDeadlinesAndStops) {
  World world;
  std::vector<std::string> story;
  world.add_process({.name = "client", .main = [&](Process& p) {
    LockBackend b(p, std::vector<ProcessId>{});
    LockBackend::Event e(b);
    b.spawn("setter", [&] {
      (void)p.sleep_for(5ms);
      e.set();
    });
    const auto status = [](lock::WaitStatus s) {
      return s == lock::WaitStatus::signalled ? "signalled"
             : s == lock::WaitStatus::timed_out ? "timed_out"
                                                : "cancelled";
    };
    story.push_back(status(e.wait_until(p.now() + 1ms)));
    story.push_back(status(e.wait_until(p.now() + 1s)));
    e.reset();
    std::stop_source stop;
    b.spawn("stopper", [&] {
      (void)p.sleep_for(2ms);
      stop.request_stop();
    });
    story.push_back(status(e.wait_until(p.now() + 1s, stop.get_token())));
    const LocalTime before = p.now();
    story.push_back(b.sleep_until(p.now() + 1s, stop.get_token()) ? "slept" : "woken");
    story.push_back(p.now() == before ? "at once" : "late");
  }});
  world.run_until(true_time(2s));
  EXPECT_EQ(story, (std::vector<std::string>{"timed_out", "signalled", "cancelled", "woken",
                                             "at once"}));
}

}  // namespace
}  // namespace locklab::sim
