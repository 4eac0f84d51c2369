// ThreadBackend against lockimpl's Backend contract (lock/backend.hpp): the
// parts a simulated backend cannot show — real parallelism, the calling
// thread, wake-ups from other threads, late requests, joined threads.
// Here the requests: call and fan_out; backend_tasks_test.cpp has time,
// tasks and events. Timing bounds are loose sanity limits (the suite also
// runs under ThreadSanitizer); the exact facts are asserted through stats
// and the fake.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "fake_redis.hpp"
#include "locklab/lock/redis_error.hpp"
#include "locklab/lock/scripts.hpp"
#include "test_support.hpp"
#include "thread_backend.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

// The contract lockimpl compiles against; TaskId tells threads apart, as
// NamedMutex needs to know its owner.
TEST(ThreadBackend, SatisfiesTheBackendConcept) {
  static_assert(lock::Backend<ThreadBackend>);
  FakeRedis redis(2);
  ThreadBackend backend(redis, 2);
  EXPECT_EQ(backend.node_count(), 2u);
  EXPECT_EQ(backend.node_name(1), "fake-redis-1");
  const ThreadBackend::TaskId here = backend.current_task();
  ThreadBackend::TaskId there;
  std::thread([&] { there = backend.current_task(); }).join();
  EXPECT_NE(here, ThreadBackend::TaskId{});
  EXPECT_NE(here, there);
  EXPECT_EQ(here, backend.current_task());
}

// fan_out must cost the slowest node, not the sum: RedLock's validity budget
// assumes it. Five requests out at once is the exact fact; the time, a loose
// bound.
TEST(ThreadBackend, FanOutAsksEveryNodeAtOnce) {
  FakeRedis redis(5);
  ThreadBackend backend(redis, 5);
  for (std::size_t n = 0; n < 5; ++n) redis.set_delay(n, 50ms);
  const auto started = Clock::now();
  const auto results = backend.fan_out(all_nodes(5), {"SET", "k", "v"}, backend.now() + 5s);
  const auto took = Clock::now() - started;
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) EXPECT_TRUE(r && r->is_ok()) << show(r);
  EXPECT_EQ(backend.stats().peak_in_flight, 5u);
  EXPECT_EQ(backend.stats().requests, 5u);
  EXPECT_LT(took, 200ms);
  EXPECT_GE(took, 50ms);
}

// lockimpl's observers touch the caller's state unguarded: they must run on
// the calling thread, and see replies in the order they arrived.
TEST(ThreadBackend, OnReplyRunsOnTheCallingThreadInArrivalOrder) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  redis.set_delay(0, 160ms);
  redis.set_delay(2, 80ms);
  std::vector<std::size_t> order;
  std::vector<std::thread::id> threads;
  const auto observe = [&](std::size_t i, const lock::NodeResult& r) {
    EXPECT_TRUE(r && r->str == "PONG") << show(r);
    order.push_back(i);
    threads.push_back(std::this_thread::get_id());
    return true;
  };
  const auto results = backend.fan_out(all_nodes(3), {"PING"}, backend.now() + 5s, {}, observe);
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 0}));
  for (const std::thread::id id : threads) EXPECT_EQ(id, std::this_thread::get_id());
  for (const auto& r : results) EXPECT_TRUE(r.has_value()) << show(r);
}

// Returning early on a quorum is what return_early buys; the requests not
// awaited may still be applied, and must say so.
TEST(ThreadBackend, OnReplyReturningFalseStopsTheWait) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  redis.set_delay(1, 400ms);
  redis.set_delay(2, 400ms);
  int calls = 0;
  const auto started = Clock::now();
  const auto results = backend.fan_out(all_nodes(3), {"SET", "k", "v"}, backend.now() + 10s, {},
                                       [&](std::size_t i, const lock::NodeResult&) {
                                         ++calls;
                                         EXPECT_EQ(i, 0u);
                                         return false;
                                       });
  EXPECT_LT(Clock::now() - started, 300ms);
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0] && results[0]->is_ok()) << show(results[0]);
  for (std::size_t i : {1u, 2u}) {
    ASSERT_FALSE(results[i].has_value()) << show(results[i]);
    EXPECT_EQ(results[i].error().kind, lock::NodeErrorKind::timed_out);
    EXPECT_TRUE(results[i].error().maybe_applied);
  }
  EXPECT_TRUE(eventually([&] { return redis.exists(1, "k") && redis.exists(2, "k"); }));
}

// The indeterminate case RedLock must undo: a SET that timed out at the
// caller is applied by the node afterwards.
TEST(ThreadBackend, DeadlinePassedGivesTimedOutButTheRequestStillLands) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  redis.set_delay(0, 200ms);
  const auto started = Clock::now();
  const lock::NodeResult r = backend.call(0, {"SET", "k", "v"}, backend.now() + 30ms);
  EXPECT_LT(Clock::now() - started, 150ms);
  ASSERT_FALSE(r.has_value()) << show(r);
  EXPECT_EQ(r.error().kind, lock::NodeErrorKind::timed_out);
  EXPECT_TRUE(r.error().maybe_applied);
  EXPECT_FALSE(redis.exists(0, "k"));  // not yet: it is still on its way
  EXPECT_TRUE(eventually([&] { return redis.exists(0, "k"); }));
}

// A Command only views the caller's strings; a request still out after the
// caller returned must have copied them, or it writes garbage (or reads
// freed memory) when it lands.
TEST(ThreadBackend, LateRequestOwnsCopiesOfItsArguments) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  redis.set_delay(0, 100ms);
  const std::string expected(64, 'v');
  {
    auto key = std::make_unique<std::string>("late-key");
    auto value = std::make_unique<std::string>(expected);
    const lock::NodeResult r = backend.call(0, {"SET", *key, *value}, backend.now() + 10ms);
    ASSERT_FALSE(r.has_value()) << show(r);
    key->assign(8, '#');  // the caller's buffers change, then die, under the request
    value->assign(64, '#');
  }
  ASSERT_TRUE(eventually([&] { return redis.exists(0, "late-key"); }));
  EXPECT_EQ(redis.get(0, "late-key"), std::optional<std::string>(expected));
}

// A caller that gives up (a lock manager shutting down) must not wait for a
// slow node, with no deadline or a far one.
TEST(ThreadBackend, StopTokenCancelsAFanOutPromptly) {
  FakeRedis redis(2);
  ThreadBackend backend(redis, 2);
  redis.set_delay(0, 10s);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  const auto started = Clock::now();
  const auto results =
      backend.fan_out(all_nodes(2), {"SET", "k", "v"}, ThreadBackend::time_point::max(),
                      stop.get_token());
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_TRUE(results[1] && results[1]->is_ok()) << show(results[1]);
  ASSERT_FALSE(results[0].has_value()) << show(results[0]);
  EXPECT_EQ(results[0].error().kind, lock::NodeErrorKind::cancelled);
  EXPECT_TRUE(results[0].error().maybe_applied);

  // Already stopped: nothing is sent at all.
  const lock::NodeResult none = backend.call(1, {"DEL", "k"}, backend.now() + 1s, stop.get_token());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().kind, lock::NodeErrorKind::cancelled);
  EXPECT_FALSE(none.error().maybe_applied);
  EXPECT_TRUE(redis.exists(1, "k"));
}

// After a restart a node's script cache is empty: EVALSHA answers NOSCRIPT.
// With a fallback the caller sees only the EVAL's result, as if the script
// had been cached all along; without one it sees NOSCRIPT.
TEST(ThreadBackend, NoscriptFallbackIsInvisibleToTheCaller) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  const auto nodes = all_nodes(3);
  const auto& release = lock::scripts::release;
  const lock::Command by_digest{"EVALSHA", release.sha1, "1", "k", "token"};
  const lock::Command by_text{"EVAL", release.text, "1", "k", "token"};
  for (const auto& r : backend.fan_out(nodes, {"SET", "k", "token"}, backend.now() + 1s)) {
    ASSERT_TRUE(r && r->is_ok()) << show(r);
  }

  for (const auto& r : backend.fan_out(nodes, by_digest, backend.now() + 1s)) {
    EXPECT_TRUE(lock::is_noscript(r)) << show(r);  // no fallback: the caller's problem
  }
  const auto results = backend.fan_out(
      nodes, by_digest, backend.now() + 1s, {},
      [](std::size_t, const lock::NodeResult& r) {
        EXPECT_FALSE(lock::is_noscript(r)) << show(r);
        return true;
      },
      by_text);
  for (std::size_t n : nodes) {
    EXPECT_TRUE(results[n] && results[n]->is_integer(1)) << show(results[n]);
    EXPECT_FALSE(redis.exists(n, "k"));
    EXPECT_EQ(redis.commands_seen(n), 4u);  // SET, EVALSHA (NOSCRIPT), then EVALSHA + EVAL
  }

  // The EVAL cached the script; a flush on one node brings NOSCRIPT back there only.
  redis.flush_scripts(1);
  const auto again = backend.fan_out(nodes, by_digest, backend.now() + 1s);
  EXPECT_TRUE(again[0] && again[0]->is_integer(0)) << show(again[0]);
  EXPECT_TRUE(lock::is_noscript(again[1])) << show(again[1]);
  EXPECT_TRUE(again[2] && again[2]->is_integer(0)) << show(again[2]);
}

// The fallback shares its request's deadline: a slow node's EVAL that cannot
// answer in time leaves the caller with timed_out (maybe applied), and the
// EVAL still lands.
TEST(ThreadBackend, FallbackRunsWithinTheSameDeadline) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  ASSERT_TRUE(backend.call(0, {"SET", "k", "token"}, backend.now() + 1s));
  redis.set_delay(0, 200ms);  // the EVAL leaves at 200 ms and lands at 400 ms, after the deadline
  const auto& release = lock::scripts::release;
  const std::size_t node[] = {0};
  const auto results = backend.fan_out(node, {"EVALSHA", release.sha1, "1", "k", "token"},
                                       backend.now() + 300ms, {}, {},
                                       {"EVAL", release.text, "1", "k", "token"});
  ASSERT_FALSE(results[0].has_value()) << show(results[0]);
  EXPECT_EQ(results[0].error().kind, lock::NodeErrorKind::timed_out);
  EXPECT_TRUE(results[0].error().maybe_applied);
  EXPECT_TRUE(eventually([&] { return !redis.exists(0, "k"); }));
  EXPECT_EQ(backend.stats().requests, 3u);  // SET, EVALSHA, EVAL
}

// shutdown() must not wait for a slow node: a fan_out in progress on one of
// the backend's tasks returns at once, its unanswered request killed (and
// maybe applied, since it was sent).
TEST(ThreadBackend, ShutdownEndsAFanOutInProgress) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  redis.set_delay(0, 1h);
  std::optional<lock::NodeResult> result;
  ASSERT_TRUE(backend.spawn("client", [&] {
    result = backend.call(0, {"SET", "k", "v"}, ThreadBackend::time_point::max());
  }));
  ASSERT_TRUE(eventually([&] { return redis.in_transit(0) == 1; }));
  const auto started = Clock::now();
  backend.shutdown();  // joins the task: `result` is written before this returns
  EXPECT_LT(Clock::now() - started, 2s);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->has_value()) << show(*result);
  EXPECT_EQ(result->error().kind, lock::NodeErrorKind::killed);
  EXPECT_TRUE(result->error().maybe_applied);
}

// The in-flight bound protects a server from a flood; a request that finds
// no slot before its deadline is never sent, so it cannot have been applied.
TEST(ThreadBackend, FullInFlightBoundGivesNoSlot) {
  FakeRedis redis(2);
  ThreadBackend backend(redis, 2, {.max_in_flight = 1});
  redis.set_delay(0, 300ms);
  std::atomic<bool> slow_done = false;
  ASSERT_TRUE(backend.spawn("slow", [&] {
    EXPECT_TRUE(backend.call(0, {"SET", "slow", "v"}, backend.now() + 5s));
    slow_done = true;
  }));
  ASSERT_TRUE(eventually([&] { return backend.in_flight() == 1; }));

  const lock::NodeResult r = backend.call(1, {"SET", "k", "v"}, backend.now() + 50ms);
  ASSERT_FALSE(r.has_value()) << show(r);
  EXPECT_EQ(r.error().kind, lock::NodeErrorKind::no_slot);
  EXPECT_FALSE(r.error().maybe_applied);
  EXPECT_EQ(backend.stats().no_slot, 1u);

  ASSERT_TRUE(eventually([&] { return slow_done.load(); }));
  EXPECT_FALSE(redis.exists(1, "k"));
  EXPECT_EQ(redis.commands_seen(1), 0u);
  const lock::NodeResult later = backend.call(1, {"SET", "k", "v"}, backend.now() + 1s);
  EXPECT_TRUE(later && later->is_ok()) << show(later);
  EXPECT_EQ(backend.stats().peak_in_flight, 1u);
}

// Each fault knob reaches the caller as the kind lockimpl sorts on: refused
// (not applied), an error reply (a refusal by the node), connection_lost
// after the node applied it (maybe applied).
TEST(ThreadBackend, NodeFaultsReachTheCallerAsTheirKinds) {
  FakeRedis redis(3);
  ThreadBackend backend(redis, 3);
  redis.set_down(0, true);
  redis.inject_error(1, "LOADING Redis is loading the dataset in memory");
  redis.drop_connection_after_apply(2, 1);
  const auto results = backend.fan_out(all_nodes(3), {"SET", "k", "v"}, backend.now() + 1s);

  ASSERT_FALSE(results[0].has_value()) << show(results[0]);
  EXPECT_EQ(results[0].error().kind, lock::NodeErrorKind::refused);
  EXPECT_FALSE(results[0].error().maybe_applied);
  EXPECT_EQ(redis.commands_seen(0), 0u);

  ASSERT_TRUE(results[1].has_value()) << show(results[1]);
  EXPECT_EQ(lock::redis_error_of(results[1]), lock::RedisErrorKind::loading);
  EXPECT_FALSE(redis.exists(1, "k"));

  ASSERT_FALSE(results[2].has_value()) << show(results[2]);
  EXPECT_EQ(results[2].error().kind, lock::NodeErrorKind::connection_lost);
  EXPECT_TRUE(results[2].error().maybe_applied);
  EXPECT_TRUE(redis.exists(2, "k"));

  redis.set_down(0, false);
  redis.clear_error(1);
  for (const auto& r : backend.fan_out(all_nodes(3), {"SET", "k", "w"}, backend.now() + 1s)) {
    EXPECT_TRUE(r && r->is_ok()) << show(r);
  }
}

// After shutdown nothing is sent: requests fail at once as killed, never
// applied.
TEST(ThreadBackend, RequestsAfterShutdownAreKilled) {
  FakeRedis redis(1);
  ThreadBackend backend(redis, 1);
  backend.shutdown();
  const lock::NodeResult r = backend.call(0, {"SET", "k", "v"}, backend.now() + 1s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, lock::NodeErrorKind::killed);
  EXPECT_FALSE(r.error().maybe_applied);
  EXPECT_EQ(redis.commands_seen(0), 0u);
}

}  // namespace
}  // namespace locklab::testing
