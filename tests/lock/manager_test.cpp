// LockManager in simulated worlds: waiters of one process queue FIFO behind a
// single contender, only the holding handle unlocks, a waiter can give up its
// place, a deadline ends a wait, and a process that dies holding leaves the
// key to its TTL. One node, links of a fixed 1 ms; the node's trace is the
// evidence of what reached Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "lock/lock_world.hpp"
#include "lock/redis_probe.hpp"
#include "locklab/lock/manager.hpp"
#include "locklab/lock/redlock.hpp"

namespace locklab::lock {
namespace {

using namespace std::chrono_literals;
using testing::commands_received;
using testing::LockWorld;
using testing::warm_up;
using Backend = sim::LockBackend;
using Lock = SingleNodeLock<Backend>;
using Manager = LockManager<Lock>;
using Handle = Manager::Handle;

sim::WorldConfig traced_one_ms_links() {
  return {.latency = sim::FixedLatency{1ms}, .trace = {.keep_records = true}};
}

// Three handles for one key in one process: each is granted in the order it
// asked, only after the previous one unlocked, and each grant is exactly one
// SET at the node — the process never contends with itself (no refused
// attempt, three SETs for three grants).
TEST(LockManager, GrantsHandlesInFifoOrderWithOneContender) {
  LockWorld w(1, traced_one_ms_links());
  std::vector<std::string> story;
  std::vector<int> attempts;
  std::size_t queued = 0;
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Manager manager(lock);
    std::vector<std::shared_ptr<Handle>> handles;
    for (int i = 0; i < 3; ++i) {
      handles.push_back(std::make_shared<Handle>(manager.lock("job", 10s, p.now() + 5s)));
    }
    queued = manager.queued("job");
    int holding = 0;
    for (int i = 2; i >= 0; --i) {  // waiting in reverse order changes nothing
      b.spawn("user", [&, i, h = handles[static_cast<std::size_t>(i)]] {
        auto got = h->wait();
        if (!got) return;
        ++holding;
        story.push_back("h" + std::to_string(i + 1) + (holding == 1 ? " holds alone" : " overlaps"));
        attempts.push_back(got.attempts);
        (void)p.sleep_for(20ms);
        --holding;
        story.push_back("h" + std::to_string(i + 1) + " " + std::string(name_of(h->unlock().outcome)));
      });
    }
    (void)p.sleep_for(2s);
  });
  w.world.run_until(sim::true_time(3s));
  EXPECT_EQ(queued, 3u);
  EXPECT_EQ(story, (std::vector<std::string>{"h1 holds alone", "h1 released", "h2 holds alone",
                                             "h2 released", "h3 holds alone", "h3 released"}));
  EXPECT_EQ(attempts, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(commands_received(w.world, w.redis[0], "SET").size(), 3u);
}

// ready_by() waits for the result without giving up the place: queued
// behind a holder for 100 ms, a handle is not ready by 50 ms and still is
// served, and ready_by() returns the moment its grant comes (one round trip
// after the holder unlocks), not at its own time limit.
TEST(LockManager, ReadyByWaitsForTheResultAndKeepsThePlace) {
  LockWorld w(1, traced_one_ms_links());
  std::vector<std::string> story;
  sim::LocalTime unlocked{}, ready_at{};
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Manager manager(lock);
    Handle first = manager.lock("job", 10s, p.now() + 5s);
    Handle second = manager.lock("job", 10s, p.now() + 5s);
    EXPECT_TRUE(first.wait());
    story.push_back(second.ready_by(p.now() + 50ms) ? "ready early" : "not ready by 50ms");
    b.spawn("holder", [&] {
      (void)p.sleep_for(50ms);
      unlocked = p.now();
      (void)first.unlock();
    });
    story.push_back(second.ready_by(p.now() + 1s) ? "ready" : "never ready");
    ready_at = p.now();
    story.push_back(std::string(name_of(second.wait().outcome)));
  });
  w.world.run_until(sim::true_time(3s));
  EXPECT_EQ(story, (std::vector<std::string>{"not ready by 50ms", "ready", "acquired"}));
  EXPECT_GT(ready_at, unlocked);
  EXPECT_LE(ready_at - unlocked, 10ms);
}

// Only the handle that holds the lease may unlock it: a queued handle's
// unlock() is refused as `invalid` (and releases nothing), as is a second
// unlock() of the holder.
TEST(LockManager, UnlockByAHandleThatDoesNotHoldIsInvalid) {
  LockWorld w(1, traced_one_ms_links());
  std::vector<std::string> story;
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Manager manager(lock);
    Handle h1 = manager.lock("job", 10s, p.now() + 5s);
    Handle h2 = manager.lock("job", 10s, p.now() + 5s);
    ASSERT_TRUE(h1.wait());
    const auto said = [&](const ReleaseResult& r) { story.push_back(std::string(name_of(r.outcome))); };
    said(h2.unlock());
    story.push_back(testing::raw_call(p, w.redis[0], {"EXISTS", "job"}).integer == 1 ? "still held"
                                                                                   : "gone");
    said(h1.unlock());
    said(h1.unlock());
    story.push_back(h2.wait() ? "h2 acquired" : "h2 did not");
    said(h2.unlock());
  });
  w.world.run_until(sim::true_time(2s));
  EXPECT_EQ(story, (std::vector<std::string>{"invalid", "still held", "released", "invalid",
                                             "h2 acquired", "released"}));
}

// A waiter whose stop token fires gives up its place: wait() returns
// `cancelled` at that moment, it never reaches Redis, and the handle behind
// it is served next. Two grants, two SETs.
TEST(LockManager, CancelledWaitGivesUpThePlace) {
  LockWorld w(1, traced_one_ms_links());
  std::optional<Manager::Result> h2_result, h3_result;
  sim::Duration h2_waited{};
  bool h2_holds = true;
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Manager manager(lock);
    Handle h1 = manager.lock("job", 10s, p.now() + 5s);
    Handle h2 = manager.lock("job", 10s, p.now() + 5s);
    Handle h3 = manager.lock("job", 10s, p.now() + 5s);
    ASSERT_TRUE(h1.wait());
    std::stop_source stop;
    b.spawn("impatient", [&] {
      (void)p.sleep_for(20ms);
      stop.request_stop();
    });
    const sim::LocalTime start = p.now();
    h2_result = h2.wait(stop.get_token());
    h2_waited = p.now() - start;
    (void)p.sleep_for(30ms);
    (void)h1.unlock();
    h3_result = h3.wait();
    h2_holds = h2.holds();
    if (h3_result->acquired()) (void)h3.unlock();
  });
  w.world.run_until(sim::true_time(2s));
  ASSERT_TRUE(h2_result.has_value() && h3_result.has_value());
  EXPECT_EQ(h2_result->outcome, Outcome::cancelled);
  EXPECT_EQ(h2_waited, 20ms);
  EXPECT_FALSE(h2_holds);
  EXPECT_EQ(h3_result->outcome, Outcome::acquired);
  EXPECT_EQ(commands_received(w.world, w.redis[0], "SET").size(), 2u);
}

// A waiter queued behind a holder of 500 ms, with a deadline 100 ms away:
// wait() says timed_out, by its deadline — not when the holder lets go — and
// never sends a SET.
TEST(LockManager, DeadlinePassingWhileQueuedGivesTimedOut) {
  LockWorld w(1, traced_one_ms_links());
  std::optional<Manager::Result> late;
  sim::Duration waited{};
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Manager manager(lock);
    Handle h1 = manager.lock("job", 10s, p.now() + 5s);
    ASSERT_TRUE(h1.wait());
    b.spawn("holder", [&] {
      (void)p.sleep_for(500ms);
      (void)h1.unlock();
    });
    const sim::LocalTime start = p.now();
    Handle h2 = manager.lock("job", 10s, p.now() + 100ms);
    late = h2.wait();
    waited = p.now() - start;
    (void)p.sleep_for(1s);
  });
  w.world.run_until(sim::true_time(3s));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->outcome, Outcome::timed_out);
  EXPECT_LE(waited, 100ms);
  EXPECT_EQ(commands_received(w.world, w.redis[0], "SET").size(), 1u);
}

// A process killed while holding through its manager releases nothing: the
// key frees by its 1 s TTL. Another process, retrying every 5 ms, gets it no
// earlier than the end of the holder's validity (its attempt start + ttl −
// (10 + 2) ms) and no later than a retry and a round trip after the TTL.
TEST(LockManager, ProcessKilledWhileHoldingFreesTheKeyByTtl) {
  LockWorld w(1, {.latency = sim::FixedLatency{1ms}});
  sim::TrueTime a_attempt{}, b_acquired{};
  bool a_held = false;
  const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, {.ttl = 1s});
    Manager manager(lock);
    a_attempt = w.world.true_now();
    Handle h = manager.lock("job", 1s, p.now() + 1s);
    a_held = h.wait().acquired();
    (void)p.sleep_for(10s);  // killed meanwhile, holding
  });
  w.client("b", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(50ms);
    Lock lock(b, {.ttl = 1s, .retry = {.count = 10'000, .delay = 5ms, .jitter = 0ms}});
    auto got = lock.acquire("job", p.now() + 5s);
    ASSERT_TRUE(got) << got.detail;
    b_acquired = w.world.true_now();
  });
  w.world.schedule({.at = sim::true_time(200ms), .action = sim::ProcessKill{a}});
  const sim::RunResult r = w.world.run_until(sim::true_time(10s));
  EXPECT_NE(r.status, sim::RunStatus::failed) << r.detail;
  EXPECT_TRUE(a_held);
  EXPECT_GE(b_acquired, a_attempt + 1s - 12ms);
  EXPECT_LE(b_acquired, a_attempt + 1s + 15ms);
}

}  // namespace
}  // namespace locklab::lock
