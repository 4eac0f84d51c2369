// The world's run loop: virtual time, local clocks, limits, ready order,
// failures and teardown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/fiber/operations.hpp>
#include <stdexcept>

#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A process whose clock runs 10% fast sleeps one second by its own clock:
// it wakes after 1s / 1.1 of true time, rounded up to the nanosecond.
// Frames with locals in several scopes, so a throw from the bottom leaves
// (under ASan) poisoned scopes behind on the fiber's stack when it unwinds.
__attribute__((noinline)) int touch(char* bytes, int n) {
  bytes[n % 64] = static_cast<char>(n);
  return bytes[(n + 1) % 64];
}

__attribute__((noinline)) int throw_from_depth(int depth) {
  char buffer[256] = {};
  int sum = touch(buffer, depth);
  if (depth == 0) throw std::runtime_error("bottom");
  {
    char scoped[64] = {};
    sum += touch(scoped, depth);
  }
  return throw_from_depth(depth - 1) + sum;
}

// Process code may throw and catch its own exceptions, again and again, at
// any depth (a lock's ConfigError, a mutex's system_error): on a fiber stack
// that is as ordinary as on a thread's. Under ASan this once gave false
// stack-use-after-scope reports from the second throw on (sim/src/asan_throw.cpp).
TEST(World, ExceptionsThrownAndCaughtInsideAFiberAreOrdinary) {
  World world;
  int caught = 0;
  world.add_process({.name = "p", .main = [&](Process& p) {
                       for (int round = 0; round < 50; ++round) {
                         try {
                           (void)throw_from_depth(round % 7 + 1);
                         } catch (const std::runtime_error& e) {
                           if (std::string(e.what()) == "bottom") ++caught;
                         }
                         if (round % 10 == 0) (void)p.sleep_for(1ms);
                       }
                     }});
  const RunResult r = world.run();
  EXPECT_EQ(r.status, RunStatus::idle) << r.detail;
  EXPECT_EQ(caught, 50);
}

TEST(World, SleepIsMeasuredOnTheProcessClock) {
  World world;
  TrueTime woke{};
  LocalTime local_woke{};
  world.add_process({.name = "fast",
                     .clock = {.offset = 5ms, .drift_ppm = 100'000},
                     .main = [&](Process& p) {
                       ASSERT_TRUE(p.sleep_for(1s));
                       woke = world.true_now();
                       local_woke = p.now();
                     }});
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_EQ(woke, true_time(909'090'910ns));  // ceil(1e9 / 1.1)
  EXPECT_GE(local_woke, LocalTime{5ms + 1s});
  EXPECT_LT(local_woke, LocalTime{5ms + 1s + 2ns});
}

// A clock centuries ahead and a sleep of centuries (a scenario may state
// both): the wake-up time saturates instead of overflowing, and the sleep
// outlasts the run.
TEST(World, ASleepPastTheEndOfTimeNeverEnds) {
  World world;
  bool woke = false;
  bool woke_monotonic = false;
  const Duration centuries = std::chrono::duration_cast<Duration>(std::chrono::years{200});
  const ClockSpec far_ahead{.offset = centuries};
  world.add_process({.name = "a", .clock = far_ahead, .main = [&](Process& p) {
                       (void)p.sleep_for(centuries);
                       woke = true;
                     }});
  world.add_process({.name = "b", .clock = far_ahead, .main = [&](Process& p) {
                       (void)p.sleep_for_monotonic(centuries);
                       woke_monotonic = true;
                     }});
  EXPECT_EQ(world.run_until(true_time(10s)).status, RunStatus::reached_time);
  EXPECT_FALSE(woke);
  EXPECT_FALSE(woke_monotonic);
}

// Time moves only when no fiber is ready: two fibers yielding to each other
// a thousand times take no virtual time at all.
TEST(World, ReadyFibersRunBeforeTimeAdvances) {
  World world;
  int turns = 0;
  world.add_process({.name = "p", .main = [&](Process& p) {
                       p.spawn("other", [&] {
                         for (int i = 0; i < 1000; ++i) {
                           ++turns;
                           ASSERT_TRUE(p.yield());
                         }
                       });
                       for (int i = 0; i < 1000; ++i) {
                         ++turns;
                         ASSERT_TRUE(p.yield());
                       }
                     }});
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_EQ(turns, 2000);
  EXPECT_EQ(world.true_now(), TrueTime{});
}

// run_until stops exactly at the given time and a later run carries on.
TEST(World, RunUntilStopsAtTheTimeAndResumes) {
  World world;
  std::vector<TrueTime> ticks;
  world.add_process({.name = "ticker", .main = [&](Process& p) {
                       for (int i = 0; i < 5; ++i) {
                         ASSERT_TRUE(p.sleep_for(100ms));
                         ticks.push_back(world.true_now());
                       }
                     }});
  RunResult first = world.run_until(true_time(250ms));
  EXPECT_EQ(first.status, RunStatus::reached_time);
  EXPECT_EQ(world.true_now(), true_time(250ms));
  EXPECT_EQ(ticks.size(), 2u);
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_THAT(ticks, ::testing::ElementsAre(true_time(100ms), true_time(200ms), true_time(300ms),
                                            true_time(400ms), true_time(500ms)));
}

// step() fires one event and lets what it woke run, then stops.
TEST(World, StepFiresOneEvent) {
  World world;
  int wakes = 0;
  world.add_process({.name = "p", .main = [&](Process& p) {
                       for (;;) {
                         if (!p.sleep_for(10ms)) return;
                         ++wakes;
                       }
                     }});
  EXPECT_EQ(world.step().status, RunStatus::reached_time);
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(world.true_now(), true_time(10ms));
  EXPECT_EQ(world.step().status, RunStatus::reached_time);
  EXPECT_EQ(wakes, 2);
}

// A retry loop with no delay never advances time; the event budget ends the
// run with a clear verdict instead of a hang.
TEST(World, ZeroDelayLoopExhaustsTheEventBudget) {
  World world({.limits = {.max_events = 10'000}});
  world.add_process({.name = "spinner", .main = [](Process& p) {
                       for (;;) (void)p.sleep_for(0ns);
                     }});
  RunResult r = world.run();
  EXPECT_EQ(r.status, RunStatus::budget_exhausted);
  EXPECT_THAT(r.detail, HasSubstr("event budget exhausted"));
  EXPECT_GE(r.events, 10'000u);
  EXPECT_LE(r.events, 10'002u);
  EXPECT_EQ(world.true_now(), TrueTime{});
}

// A yield loop is caught the same way: each resumption counts.
TEST(World, YieldLoopExhaustsTheEventBudget) {
  World world({.limits = {.max_events = 5'000}});
  world.add_process({.name = "yielder", .main = [](Process& p) {
                       for (;;) (void)p.yield();
                     }});
  RunResult r = world.run();
  EXPECT_EQ(r.status, RunStatus::budget_exhausted);
  EXPECT_THAT(r.detail, HasSubstr("event budget exhausted"));
}

// The budget stops the run, not the teardown: with several fibers ready when
// it runs out, destroying the world still unwinds every one of them (the
// budget once kept all but the first from running again, and the destructor
// spun forever).
TEST(World, TeardownAfterTheBudgetUnwindsEveryReadyFiber) {
  int unwound = 0;
  {
    World world({.limits = {.max_events = 1'000}});
    for (int i = 0; i < 4; ++i) {
      world.add_process({.name = "spinner" + std::to_string(i), .main = [&unwound](Process& p) {
                           struct Count {
                             int& n;
                             ~Count() { ++n; }
                           } count{unwound};
                           for (;;) (void)p.yield();
                         }});
    }
    EXPECT_EQ(world.run().status, RunStatus::budget_exhausted);
  }
  EXPECT_EQ(unwound, 4);
}

// A world that would run forever stops at its virtual-time limit.
TEST(World, TimeLimitEndsAnEndlessWorld) {
  World world({.limits = {.max_time = 10s}});
  world.add_process({.name = "forever", .main = [](Process& p) {
                       for (;;) (void)p.sleep_for(1s);
                     }});
  RunResult r = world.run();
  EXPECT_EQ(r.status, RunStatus::budget_exhausted);
  EXPECT_THAT(r.detail, HasSubstr("virtual time limit"));
  EXPECT_EQ(world.true_now(), true_time(10s));
}

// An exception escaping process code fails the run and says where it came from.
TEST(World, UncaughtExceptionFailsTheRun) {
  World world;
  world.add_process({.name = "buggy", .main = [](Process& p) {
                       (void)p.sleep_for(1ms);
                       throw std::runtime_error("boom");
                     }});
  RunResult r = world.run();
  EXPECT_EQ(r.status, RunStatus::failed);
  EXPECT_THAT(r.detail, HasSubstr("buggy"));
  EXPECT_THAT(r.detail, HasSubstr("boom"));
}

// Boost's own sleep waits on the real clock, which no simulation may do: the
// world notices the fiber entering Boost's sleep queue and fails the run.
TEST(World, RealClockSleepIsReportedAsADeterminismLeak) {
  World world;
  world.add_process({.name = "leaky", .main = [](Process& p) {
                       boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
                       (void)p.sleep_for(1ms);
                     }});
  RunResult r = world.run();
  EXPECT_EQ(r.status, RunStatus::failed);
  EXPECT_THAT(r.detail, HasSubstr("determinism leak"));
  EXPECT_THAT(r.detail, HasSubstr("leaky"));
}

// FIFO order: fibers run in the order they became ready.
TEST(World, FifoOrderRunsFibersInReadyOrder) {
  World world;
  std::string order;
  world.add_process({.name = "p", .main = [&](Process& p) {
                       for (char c : std::string("abcdef")) {
                         p.spawn(std::string(1, c), [&order, c] { order += c; });
                       }
                       (void)p.sleep_for(1ms);  // main returning would end the process
                     }});
  world.run();
  EXPECT_EQ(order, "abcdef");
}

// Random order: a seeded pick among ready fibers. The same seed repeats the
// interleaving; other seeds explore others.
TEST(World, RandomOrderIsSeeded) {
  auto interleaving = [](std::uint64_t seed) {
    World world({.seed = seed, .order = ReadyOrder::random});
    std::string order;
    world.add_process({.name = "p", .main = [&](Process& p) {
                         for (char c : std::string("abcdefgh")) {
                           p.spawn(std::string(1, c), [&order, c] { order += c; });
                         }
                         (void)p.sleep_for(1ms);
                       }});
    world.run();
    return order;
  };
  EXPECT_EQ(interleaving(7), interleaving(7));
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) seen.insert(interleaving(seed));
  EXPECT_GT(seen.size(), 5u);
}

// A Signal wakes a waiter when notified, and times out on the waiter's clock.
TEST(World, SignalNotifiesAndTimesOut) {
  World world;
  TrueTime notified_at{}, timed_out_at{};
  world.add_process({.name = "p", .main = [&](Process& p) {
                       Signal signal(p);
                       p.spawn("notifier", [&] {
                         (void)p.sleep_for(30ms);
                         signal.notify_all();
                       });
                       EXPECT_TRUE(signal.wait(p.now() + 100ms));
                       notified_at = world.true_now();
                       auto r = signal.wait(p.now() + 50ms);
                       ASSERT_FALSE(r);
                       EXPECT_EQ(r.error(), SimError::timed_out);
                       timed_out_at = world.true_now();
                     }});
  world.run();
  EXPECT_EQ(notified_at, true_time(30ms));
  EXPECT_EQ(timed_out_at, true_time(80ms));
}

// A clock jump moves the true time at which a pending sleep ends: forward
// jumps shorten it, backward jumps lengthen it.
TEST(World, ClockJumpsMovePendingSleeps) {
  World world;
  TrueTime forward_woke{}, backward_woke{};
  const ProcessId fwd = world.add_process({.name = "fwd", .main = [&](Process& p) {
                                             ASSERT_TRUE(p.sleep_for(10s));
                                             forward_woke = world.true_now();
                                           }});
  const ProcessId back = world.add_process({.name = "back", .main = [&](Process& p) {
                                              ASSERT_TRUE(p.sleep_for(10s));
                                              backward_woke = world.true_now();
                                            }});
  world.schedule({true_time(1s), ClockJump{fwd, 5s}});
  world.schedule({true_time(1s), ClockJump{back, -2s}});
  world.run();
  EXPECT_EQ(forward_woke, true_time(5s));
  EXPECT_EQ(backward_woke, true_time(12s));
}

// A paused process runs nothing: its timer fires during the pause, but the
// sleeper wakes only at resume.
TEST(World, PausedProcessWakesOnlyAfterResume) {
  World world;
  TrueTime woke{};
  const ProcessId id = world.add_process({.name = "gc", .main = [&](Process& p) {
                                            ASSERT_TRUE(p.sleep_for(100ms));
                                            woke = world.true_now();
                                          }});
  world.schedule({true_time(50ms), ProcessPause{id}});
  world.schedule({true_time(300ms), ProcessResume{id}});
  world.run();
  EXPECT_EQ(woke, true_time(300ms));
}

// The world can place a local deadline on the true time line, for checkers.
TEST(World, TrueTimeReachingAccountsForTheClockHistory) {
  World world;
  const ProcessId id = world.add_process(
      {.name = "p", .clock = {.drift_ppm = 0}, .main = [](Process& p) { (void)p.sleep_for(10s); }});
  world.schedule({true_time(2s), ClockJump{id, -1s}});
  world.run();
  // Local 5s is first read at true 5s... but the jump at 2s set it back to 1s,
  // so local 1.5s is first read at 1.5s (before the jump), local 5s at 6s.
  EXPECT_EQ(world.true_time_reaching(id, LocalTime{1500ms}, TrueTime{}), true_time(1500ms));
  EXPECT_EQ(world.true_time_reaching(id, LocalTime{5s}, TrueTime{}), true_time(6s));
  EXPECT_EQ(world.true_time_reaching(id, LocalTime{1500ms}, true_time(2s)), true_time(2500ms));
}

// Destroying a world in the middle of a run unwinds every blocked fiber:
// destructors on their stacks run, nothing hangs, nothing leaks (ASan).
TEST(World, DestroyingAWorldUnwindsBlockedFibers) {
  int destroyed = 0;
  struct Counted {
    int& count;
    ~Counted() { ++count; }
  };
  {
    World world;
    const ProcessId server = world.add_process({.name = "server", .main = [&](Process& p) {
                                                  Counted c{destroyed};
                                                  Listener l = p.listen();
                                                  auto s = l.accept();
                                                  Counted d{destroyed};
                                                  (void)s->recv();  // no deadline: forever
                                                }});
    world.add_process({.name = "client", .main = [&, server](Process& p) {
                         Counted c{destroyed};
                         auto s = p.connect(server, p.now() + 1s);
                         ASSERT_TRUE(s);
                         Signal never(p);
                         p.spawn("sleeper", [&] {
                           Counted e{destroyed};
                           (void)p.sleep_for(1h);
                         });
                         (void)never.wait();
                       }});
    EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
    EXPECT_EQ(world.live_fibers(), 3u);
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 4);
}

// A process whose main function returns has exited, like a real process:
// fibers it spawned but that never ran are unwound before they start.
TEST(World, MainReturningEndsTheProcess) {
  World world;
  bool ran = false;
  world.add_process({.name = "p", .main = [&](Process& p) { p.spawn("late", [&] { ran = true; }); }});
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_FALSE(ran);
  EXPECT_EQ(world.process(ProcessId{0}).state(), ProcessState::exited);
  EXPECT_EQ(world.live_fibers(), 0u);
}

// Mistakes in building a world are reported at once, naming what is wrong.
TEST(World, BadSpecsAreRejectedWithAClearMessage) {
  World world;
  auto noop = [](Process&) {};
  world.add_process({.name = "a", .main = noop});
  EXPECT_THROW(world.add_process({.name = "", .main = noop}), std::invalid_argument);
  try {
    world.add_process({.name = "a", .main = noop});
    FAIL() << "duplicate name accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'a'"));
  }
  try {
    world.add_process({.name = "b", .clock = {.drift_ppm = -1'000'000}, .main = noop});
    FAIL() << "clock that stops accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("-1000000"));
  }
  EXPECT_THROW(world.schedule({true_time(1s), ProcessKill{ProcessId{7}}}), std::invalid_argument);
  EXPECT_THROW(World({.latency = UniformLatency{5ms, 1ms}}), std::invalid_argument);
}

}  // namespace
}  // namespace locklab::sim
