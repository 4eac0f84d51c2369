// AutoExtender in simulated worlds: it keeps a short lease alive, tells the
// holder once (callback and state) when it cannot, never reports a lease the
// holder no longer has (a pause longer than the TTL), and stops or releases
// on request. RedLock over three masters, links of a fixed 1 ms, TTL 300 ms,
// drift 1%: a renewal takes one 2 ms round trip and leaves a validity of
// 300 − 2 − 5 = 293 ms, renewed when a third (100 ms) is left, so every
// 193 ms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "lock/lock_world.hpp"
#include "lock/redis_probe.hpp"
#include "locklab/lock/auto_extend.hpp"
#include "locklab/lock/redlock.hpp"

namespace locklab::lock {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::LockWorld;
using testing::warm_up;
using Backend = sim::LockBackend;
using Lock = RedLock<Backend>;
using Extender = AutoExtender<Lock>;

sim::WorldConfig one_ms_links() { return {.latency = sim::FixedLatency{1ms}}; }
LockOptions short_lease() { return {.ttl = 300ms, .drift_factor = 0.01, .retry = {.count = 0}}; }

// A client that tries once every 100 ms from `from` to `to` (local times) and
// records each outcome; it releases whatever it gets.
LockWorld::Body prober(std::vector<Outcome>& seen, sim::Duration from, sim::Duration to) {
  return [&seen, from, to](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    for (sim::Duration t = from; t <= to; t += 100ms) {
      (void)p.sleep_until(sim::local_time(t));
      auto got = lock.try_acquire("job", p.now() + 1s);
      seen.push_back(got.outcome);
      if (got) (void)lock.release(*got.lease);
    }
  };
}

// A 300 ms lease kept for 3 s: 15 renewals, 193 ms apart, and a prober
// trying every 100 ms is refused every time; once the holder releases, the
// prober gets in at its next try.
TEST(AutoExtender, KeepsAShortLeaseAliveForSeconds) {
  LockWorld w(3, one_ms_links());
  int renewals = -1, callbacks = 0;
  bool holding = false;
  std::optional<ReleaseResult> released;
  std::vector<Outcome> probes;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    Extender keep(lock, std::move(*got.lease), [&](Outcome) { ++callbacks; });
    (void)p.sleep_for(3s);
    renewals = keep.renewals();
    holding = keep.holding() && keep.lease().has_value();
    released = keep.release();
  });
  w.client("b", prober(probes, 100ms, 3100ms));
  w.world.run_until(sim::true_time(5s));
  EXPECT_EQ(renewals, 15);
  EXPECT_TRUE(holding);
  EXPECT_EQ(callbacks, 0);
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->outcome, Outcome::released);
  ASSERT_EQ(probes.size(), 31u);
  EXPECT_EQ(std::count(probes.begin(), probes.end() - 1, Outcome::busy), 30);
  EXPECT_EQ(probes.back(), Outcome::acquired);
}

// Two of the three masters die at 1 s. The renewal due at 6 × 193 ms finds no
// quorum: the callback runs once, with `lost`, before the old validity ended,
// and state() says lost from then on; nothing more is tried.
TEST(AutoExtender, ReportsTheLossOnceWhenTheMastersBecomeUnreachable) {
  LockWorld w(3, one_ms_links());
  std::vector<Outcome> why;
  sim::TrueTime lost_at{};
  sim::LocalTime last_end{};
  ExtenderState state = ExtenderState::holding;
  bool has_lease = true;
  int renewals = -1;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    Extender keep(lock, std::move(*got.lease), [&](Outcome o) {
      why.push_back(o);
      lost_at = w.world.true_now();
    });
    (void)p.sleep_until(sim::local_time(1100ms));
    last_end = keep.lease()->validity_end;  // renewed at 977 ms, still held
    (void)p.sleep_until(sim::local_time(3s));
    state = keep.state();
    has_lease = keep.lease().has_value();
    renewals = keep.renewals();
  });
  w.world.schedule({.at = sim::true_time(1s), .action = sim::ProcessKill{w.redis[0]}});
  w.world.schedule({.at = sim::true_time(1s), .action = sim::ProcessKill{w.redis[2]}});
  w.world.run_until(sim::true_time(5s));
  EXPECT_THAT(why, ElementsAre(Outcome::lost));
  EXPECT_EQ(state, ExtenderState::lost);
  EXPECT_FALSE(has_lease);
  EXPECT_EQ(renewals, 5);
  EXPECT_LT(lost_at, sim::true_time(last_end.time_since_epoch()));  // no drift: clocks agree
}

// The holder is paused from 120 ms to 1.2 s, far past its 300 ms TTL; the
// watchdog could not run meanwhile, and another client took the lock at
// 600 ms. The first thing the holder does after the resume (its own timer,
// due before the watchdog's) is ask: holding() is already false and lease()
// empty, though the watchdog has not yet run. Then the watchdog wakes, finds
// the lease expired, and reports `lost` once.
TEST(AutoExtender, AfterAPauseLongerThanTheTtlItNeverReportsTheLease) {
  LockWorld w(3, one_ms_links());
  std::vector<std::string> story;
  std::vector<Outcome> why;
  std::vector<Outcome> probes;
  const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    Extender keep(lock, std::move(*got.lease), [&](Outcome o) { why.push_back(o); });
    (void)p.sleep_until(sim::local_time(150ms));  // due during the pause
    story.push_back(keep.holding() ? "holding" : "not holding");
    story.push_back(keep.lease() ? "a lease" : "no lease");
    story.push_back(why.empty() ? "watchdog not yet run" : "watchdog ran first");
    (void)p.sleep_for(1ms);
    story.push_back(keep.state() == ExtenderState::lost ? "lost" : "not lost");
    story.push_back(std::to_string(keep.renewals()) + " renewals");
  });
  w.client("b", prober(probes, 600ms, 600ms));
  w.world.schedule({.at = sim::true_time(120ms), .action = sim::ProcessPause{a}});
  w.world.schedule({.at = sim::true_time(1200ms), .action = sim::ProcessResume{a}});
  w.world.run_until(sim::true_time(3s));
  EXPECT_EQ(story, (std::vector<std::string>{"not holding", "no lease", "watchdog not yet run",
                                             "lost", "0 renewals"}));
  EXPECT_THAT(why, ElementsAre(Outcome::lost));
  EXPECT_THAT(probes, ElementsAre(Outcome::acquired));
}

// stop() ends the renewals and leaves the key to its TTL: the state is
// `stopped` (holding() is false: nothing renews it any more), lease() still
// gives the lease until its validity ends and nothing after, no renewal
// follows, and a prober gets in only once the key expires. release() stops
// and frees the key at once.
TEST(AutoExtender, StopKeepsTheLeaseUntilItsEndAndReleaseFreesIt) {
  LockWorld w(3, one_ms_links());
  std::vector<std::string> story;
  std::vector<Outcome> probes_stop, probes_release;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    {
      auto got = lock.acquire("job", p.now() + 1s);
      ASSERT_TRUE(got);
      Extender keep(lock, std::move(*got.lease));
      (void)p.sleep_until(sim::local_time(250ms));  // one renewal, at ~205 ms
      keep.stop();
      const int renewals = keep.renewals();
      story.push_back(keep.state() == ExtenderState::stopped ? "stopped" : "not stopped");
      story.push_back(keep.holding() ? "still renewing" : "not renewing");
      story.push_back(keep.lease() ? "lease until its end" : "no lease");
      (void)p.sleep_until(sim::local_time(1s));
      story.push_back(keep.lease() ? "lease past its end" : "no lease after its end");
      story.push_back(keep.renewals() == renewals ? "no renewal after stop" : "renewed after stop");
    }
    (void)p.sleep_until(sim::local_time(2s));
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    Extender keep(lock, std::move(*got.lease));
    (void)p.sleep_until(sim::local_time(2050ms));
    story.push_back(std::string(name_of(keep.release().outcome)));
  });
  // From 300 ms: busy until the key, last renewed at 206 ms on the nodes,
  // expires at 506 ms.
  w.client("b", prober(probes_stop, 300ms, 700ms));
  // Right after the release at 2050 ms.
  w.client("c", prober(probes_release, 2060ms, 2060ms));
  w.world.run_until(sim::true_time(5s));
  EXPECT_EQ(story, (std::vector<std::string>{"stopped", "not renewing", "lease until its end",
                                             "no lease after its end", "no renewal after stop",
                                             "released"}));
  EXPECT_THAT(probes_stop, ElementsAre(Outcome::busy, Outcome::busy, Outcome::busy,
                                       Outcome::acquired, Outcome::acquired));
  EXPECT_THAT(probes_release, ElementsAre(Outcome::acquired));
}

// renew_before = 50 ms renews when 50 ms of the validity is left: the lease
// acquired after the warm-up is valid until 305 ms, so renewals go out at 255
// and 498 ms (each gives 293 ms from its start), and max_renewals = 2 stops
// there: the observers see each renewal's start and result, and the loss is
// reported once, as `lost`, at the second renewal's validity end (791 ms);
// no third renewal is sent.
TEST(AutoExtender, RenewsAtItsOptionsAndReportsTheLossAfterTheLastAllowedRenewal) {
  LockWorld w(3, one_ms_links());
  std::vector<std::string> story;
  std::vector<Outcome> why;
  sim::LocalTime lost_at{};
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    Extender::Options options{
        .renew_before = 50ms,
        .max_renewals = 2,
        .on_renewing =
            [&](const Lock::LeaseType& lease) {
              story.push_back("renewing at " + std::to_string(p.now().time_since_epoch() / 1ms) + " by " +
                              std::to_string(lease.validity_end.time_since_epoch() / 1ms));
            },
        .on_renewed = [&](const ExtendResult& r, const Lock::LeaseType& lease) {
          story.push_back(std::string(name_of(r.outcome)) + " until " +
                          std::to_string(lease.validity_end.time_since_epoch() / 1ms));
        }};
    Extender keep(lock, std::move(*got.lease), [&](Outcome o) {
      why.push_back(o);
      lost_at = p.now();
    }, std::move(options));
    EXPECT_EQ(keep.detail(), "");
    (void)p.sleep_for(2s);
    story.push_back(keep.holding() ? "holding" : "not holding");
    story.push_back("renewals " + std::to_string(keep.renewals()));
  });
  w.world.run_until(sim::true_time(3s));
  ASSERT_GE(story.size(), 4u);
  EXPECT_EQ(story.size(), 6u);
  EXPECT_EQ(story[0], "renewing at 255 by 305");  // its deadline: the validity end
  EXPECT_EQ(story[1], "extended until 548");
  EXPECT_EQ(story[2], "renewing at 498 by 548");
  EXPECT_EQ(story[3], "extended until 791");
  EXPECT_EQ(story[4], "not holding");
  EXPECT_EQ(story[5], "renewals 2");
  EXPECT_THAT(why, ElementsAre(Outcome::lost));
  EXPECT_EQ(lost_at, sim::local_time(791ms));
}

// Options it cannot use are the caller's error, told, never an abort: the
// extender starts stopped and says why; the lease stays to its end.
TEST(AutoExtender, UnusableOptionsStartItStoppedWithTheReason) {
  LockWorld w(3, one_ms_links());
  std::vector<std::string> details;
  std::vector<ExtenderState> states;
  w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    Lock lock(b, short_lease());
    for (Extender::Options o : {Extender::Options{.renew_before = 300ms}, Extender::Options{.renew_before = 0ms},
                                Extender::Options{.max_renewals = -1}}) {
      auto got = lock.acquire("job", p.now() + 1s);
      ASSERT_TRUE(got);
      Extender keep(lock, std::move(*got.lease), {}, std::move(o));
      states.push_back(keep.state());
      details.push_back(keep.detail());
      EXPECT_TRUE(keep.lease().has_value());
      EXPECT_EQ(keep.release().outcome, Outcome::released);
    }
  });
  w.world.run_until(sim::true_time(3s));
  EXPECT_THAT(states, ElementsAre(ExtenderState::stopped, ExtenderState::stopped, ExtenderState::stopped));
  EXPECT_THAT(details, ElementsAre("renew_before must be more than 0 and less than the lease's TTL",
                                   "renew_before must be more than 0 and less than the lease's TTL",
                                   "max_renewals must not be negative"));
}

}  // namespace
}  // namespace locklab::lock
