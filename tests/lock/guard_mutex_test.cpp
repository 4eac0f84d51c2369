// LeaseGuard and NamedMutex in simulated worlds: RAII release at scope exit,
// early release, dismiss, a destructor that survives its process being killed
// mid-release, and the standard Lockable / TimedLockable interface with the
// backend's own time points. One node, links of a fixed 1 ms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "lock/lock_world.hpp"
#include "lock/redis_probe.hpp"
#include "locklab/lock/guard.hpp"
#include "locklab/lock/mutex.hpp"
#include "locklab/lock/redlock.hpp"

namespace locklab::lock {
namespace {

using namespace std::chrono_literals;
using testing::LockWorld;
using testing::raw_call;
using testing::warm_up;
using Backend = sim::LockBackend;
using Lock = SingleNodeLock<Backend>;
using Guard = LeaseGuard<Lock>;
using Mutex = NamedMutex<Lock>;
using RawReply = sim::redis::Reply;

sim::WorldConfig one_ms_links() { return {.latency = sim::FixedLatency{1ms}}; }

// A retry rule for the client waiting its turn: try again every millisecond.
RetryPolicy every_ms() {
  return [](int, Outcome) -> std::optional<std::chrono::nanoseconds> { return 1ms; };
}

// The guard releases when its scope ends (the key's TTL is 10 s): b, retrying
// every millisecond, gets in within a few milliseconds of a's scope ending —
// not after the TTL.
TEST(LeaseGuard, ReleasesAtScopeExit) {
  LockWorld w(1, one_ms_links());
  sim::TrueTime scope_ended{}, b_acquired{};
  bool owned_inside = false;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, {.ttl = 10s});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    {
      Guard guard(lock, std::move(*got.lease));
      owned_inside = guard.owns();
      (void)p.sleep_for(100ms);
      scope_ended = w.world.true_now();
    }
  });
  w.client("b", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(20ms);
    Lock lock(b, {.ttl = 10s, .retry_policy = every_ms()});
    auto got = lock.acquire("job", p.now() + 5s);
    ASSERT_TRUE(got) << got.detail;
    b_acquired = w.world.true_now();
  });
  w.world.run_until(sim::true_time(10s));
  EXPECT_TRUE(owned_inside);
  EXPECT_GT(b_acquired, scope_ended);
  EXPECT_LE(b_acquired, scope_ended + 10ms);
}

// release() frees the lock at once and returns what happened; the guard then
// owns nothing, a second release() says so without sending anything, and the
// destructor sends nothing either.
TEST(LeaseGuard, ReleaseEarlyReturnsTheResultAndLeavesNothingForTheDestructor) {
  LockWorld w(1, one_ms_links());
  std::optional<ReleaseResult> first, second;
  bool owns_after = true;
  std::uint64_t sent_after_release = 0, sent_at_end = 1;
  RawReply key_after;
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    {
      Guard guard(lock, std::move(*got.lease));
      first = guard.release();
      sent_after_release = b.stats().requests;
      owns_after = guard.owns();
      second = guard.release();
      key_after = raw_call(p, w.redis[0], {"GET", "job"});
    }
    sent_at_end = b.stats().requests;
  });
  w.world.run_until(sim::true_time(1s));
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->outcome, Outcome::released);
  EXPECT_FALSE(owns_after);
  EXPECT_EQ(second->outcome, Outcome::not_held);
  EXPECT_EQ(second->detail, "the guard owns no lease");
  EXPECT_EQ(key_after, RawReply::nil());
  EXPECT_EQ(sent_at_end, sent_after_release);
}

// dismiss() hands the lease back and keeps the lock: the scope ends without a
// release, so b stays busy until the 300 ms TTL frees the key, and gets in
// just after it.
TEST(LeaseGuard, DismissKeepsTheLockUntilItsTtl) {
  LockWorld w(1, one_ms_links());
  sim::TrueTime a_attempt{}, b_acquired{};
  std::string kept_token, stored;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, {.ttl = 300ms});
    a_attempt = w.world.true_now();
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    const std::string token = got.lease->token;
    {
      Guard guard(lock, std::move(*got.lease));
      kept_token = guard.dismiss().token;
      EXPECT_FALSE(guard.owns());
    }
    stored = raw_call(p, w.redis[0], {"GET", "job"}).str;
    EXPECT_EQ(kept_token, token);
  });
  w.client("b", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_for(50ms);
    Lock lock(b, {.ttl = 300ms, .retry_policy = every_ms()});
    auto got = lock.acquire("job", p.now() + 5s);
    ASSERT_TRUE(got) << got.detail;
    b_acquired = w.world.true_now();
  });
  w.world.run_until(sim::true_time(5s));
  EXPECT_EQ(stored, kept_token);  // still there after the scope ended
  EXPECT_GE(b_acquired, a_attempt + 300ms);
  EXPECT_LE(b_acquired, a_attempt + 300ms + 10ms);
}

// The guard's destructor never throws, even when its process is killed while
// the release is on the wire: the release runs in a NoThrowScope, so the kill
// is a value there: the destructor returns at the moment of the kill, and
// the world unwinds the fiber at its next blocking call, as usual. The run
// does not fail.
TEST(LeaseGuard, DestructorSurvivesAKillDuringTheRelease) {
  LockWorld w(1, one_ms_links());
  bool after_scope = false, slept_after = false;
  sim::TrueTime kill_at{}, scope_left{};
  sim::ProcessId a{};
  a = w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, {.ttl = 10s});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    {
      Guard guard(lock, std::move(*got.lease));
      (void)p.sleep_for(10ms);
      // The release goes out as the scope ends; its reply is 2 ms away.
      kill_at = w.world.true_now() + 500us;
      w.world.schedule({.at = kill_at, .action = sim::ProcessKill{a}});
    }
    after_scope = true;
    scope_left = w.world.true_now();
    (void)p.sleep_for(1ms);
    slept_after = true;
  });
  const sim::RunResult r = w.world.run_until(sim::true_time(1s));
  EXPECT_NE(r.status, sim::RunStatus::failed) << r.detail;
  EXPECT_EQ(w.world.process(a).state(), sim::ProcessState::killed);
  EXPECT_TRUE(after_scope);
  EXPECT_EQ(scope_left, kill_at);  // the release was waiting for its reply
  EXPECT_FALSE(slept_after);
}

// NamedMutex is a standard Lockable: std::lock_guard and std::unique_lock take
// it, the lease (with its token) is there while held, and the lock is
// released when they let go.
TEST(NamedMutex, WorksWithLockGuardAndUniqueLock) {
  LockWorld w(1, one_ms_links());
  std::vector<std::string> story;
  w.client("a", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Mutex m(lock, "job", 1s);
    {
      std::lock_guard held(m);
      story.push_back(m.lease() ? "lock_guard holds" : "lock_guard without lease");
      story.push_back(raw_call(p, w.redis[0], {"GET", "job"}).str == m.lease()->token
                          ? "the node has our token"
                          : "the node has something else");
    }
    story.push_back(m.lease() ? "still a lease" : "released");
    story.push_back(std::string(name_of(m.last_release()->outcome)));
    {
      std::unique_lock held(m);
      story.push_back(held.owns_lock() ? "unique_lock holds" : "unique_lock does not");
      held.unlock();
      story.push_back(raw_call(p, w.redis[0], {"GET", "job"}) == RawReply::nil() ? "key gone"
                                                                                 : "key left");
      held.lock();
      story.push_back(held.owns_lock() ? "relocked" : "not relocked");
    }
    story.push_back(raw_call(p, w.redis[0], {"GET", "job"}) == RawReply::nil() ? "key gone"
                                                                               : "key left");
  });
  w.world.run_until(sim::true_time(1s));
  EXPECT_EQ(story, (std::vector<std::string>{"lock_guard holds", "the node has our token",
                                             "released", "released", "unique_lock holds",
                                             "key gone", "relocked", "key gone"}));
}

// try_lock is one attempt: false while another client holds the key.
// try_lock_for and try_lock_until take the backend's durations and time points
// (sim::LocalTime, the process's own clock) and retry until then: 100 ms is
// not enough while the holder keeps the key for 300 ms; a time point 1 s away
// is, and it returns soon after the holder unlocks.
TEST(NamedMutex, TryLockForAndUntilUseTheBackendsClock) {
  LockWorld w(1, one_ms_links());
  std::vector<std::string> story;
  sim::TrueTime holder_unlocked{}, got_it{};
  w.client("holder", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    Mutex m(lock, "job", 1s);
    m.lock();
    (void)p.sleep_for(300ms);
    m.unlock();
    holder_unlocked = w.world.true_now();
  });
  w.client("a", [&](sim::Process& p, Backend& b) {
    (void)p.sleep_for(20ms);
    Lock lock(b, {.ttl = 10s, .node_timeout = 10ms,
                  .retry = {.count = 1000, .delay = 5ms, .jitter = 0ms}});
    Mutex m(lock, "job", 1s);
    story.push_back(m.try_lock() ? "try_lock: yes" : "try_lock: no");
    const sim::LocalTime before = p.now();
    story.push_back(m.try_lock_for(100ms) ? "try_lock_for: yes" : "try_lock_for: no");
    // An attempt begun before the deadline still undoes itself after it: at
    // most one node timeout (10 ms) late.
    const sim::Duration waited = p.now() - before;
    story.push_back(waited >= 100ms - 5ms - 4ms && waited <= 100ms + 10ms
                        ? "about 100ms"
                        : "took " + sim::format_duration(waited));
    static_assert(std::is_same_v<Mutex::time_point, sim::LocalTime>);
    const sim::LocalTime until = p.now() + 1s;
    story.push_back(m.try_lock_until(until) ? "try_lock_until: yes" : "try_lock_until: no");
    got_it = w.world.true_now();
    m.unlock();
  });
  w.world.run_until(sim::true_time(5s));
  EXPECT_EQ(story, (std::vector<std::string>{"try_lock: no", "try_lock_for: no", "about 100ms",
                                             "try_lock_until: yes"}));
  EXPECT_GT(got_it, holder_unlocked);
  EXPECT_LE(got_it, holder_unlocked + 10ms);
}

// lock() waits up to its acquire timeout (200 ms) and then throws
// std::system_error with errc::timed_out, as the standard lets a mutex do;
// the caller's mutex holds nothing afterwards.
TEST(NamedMutex, LockThrowsTimedOutAfterItsAcquireDeadline) {
  LockWorld w(1, one_ms_links());
  std::optional<std::error_code> thrown;
  sim::Duration waited{};
  bool holds_after = true;
  w.client("holder", [&](sim::Process& p, Backend& b) {
    Lock lock(b, {.ttl = 10s});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
  });
  w.client("a", [&](sim::Process& p, Backend& b) {
    (void)p.sleep_for(20ms);
    Lock lock(b, {.ttl = 10s, .retry = {.count = 1000, .delay = 10ms, .jitter = 0ms}});
    Mutex m(lock, "job", 200ms);
    const sim::LocalTime start = p.now();
    try {
      m.lock();
    } catch (const std::system_error& e) {
      thrown = e.code();
    }
    waited = p.now() - start;
    holds_after = m.lease().has_value();
  });
  w.world.run_until(sim::true_time(5s));
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(*thrown, std::make_error_code(std::errc::timed_out));
  EXPECT_LE(waited, 200ms);
  EXPECT_GE(waited, 200ms - 10ms);  // gave up only when one more wait would overrun
  EXPECT_FALSE(holds_after);
}

}  // namespace
}  // namespace locklab::lock
