// Time-exact differential tests: the simulated node against a real
// redis-server 7.0 whose wall clock is frozen by the clock shim
// (tools/clockshim), so both sides read the same millisecond and every
// reply, PTTL included, must be equal exactly.
//
// The Engine tests drive the simulated node's clock to the real server's
// frozen value, step both the same way (forward and backward), and compare
// PTTL, GET and EXISTS at a key's expiry time `when` and at `when + 1` ms:
// Redis 7.0 expires a key only once now > when. The active-expiry tests
// check when an untouched key disappears after a step: redis-server runs
// its active cycle from its cron, on the monotonic clock, so a step is seen
// at the next tick (within 1000/hz ms); the simulated node must do the same
// (its cycle sleeps on a monotonic timer that steps do not move).
//
// The real server is started with locklab::realserver under the shim; the
// tests fail, never skip, when redis-server is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "clockshim/temp_dir.hpp"
#include "locklab/clockshim/control.hpp"
#include "locklab/realserver/server.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/engine.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"
#include "support/redis_server.hpp"

namespace locklab::sim::redis {
namespace {

using namespace std::chrono_literals;
using clockshim::ClockControl;
using clockshim::WallTime;
using test_support::RedisClient;

// An arbitrary instant on a whole millisecond, so both sides' "now in ms"
// is the same integer.
constexpr std::int64_t kStartMs = 1'700'000'000'000;

Reply integer(std::int64_t n) { return Reply::integer_reply(n); }

// A real redis-server on a frozen shimmed clock and an Engine at the same
// millisecond; step() moves both, run() sends a command to both.
class FrozenPair {
 public:
  FrozenPair()
      : clock_(ClockControl::create(dir_ / "clock")),
        server_(frozen_options(clock_)),
        client_(realserver::Server::host(), server_.port()) {}

  void step(std::chrono::milliseconds delta) {
    now_ms_ += delta.count();
    clock_.step(delta);
  }
  std::int64_t now_ms() const { return now_ms_; }

  // The command on both sides; their replies must be equal, and equal to
  // `expected` (so a test states what Redis does, not only that both agree).
  void run(const Argv& argv, const Reply& expected) {
    const Reply real = client_.command(argv);
    const Reply simulated = engine_.execute(argv, now_ms_);
    EXPECT_EQ(simulated, real) << test_support::quoted(argv) << " at " << now_ms_ - kStartMs
                               << " ms (simulated vs real)";
    EXPECT_EQ(real, expected) << test_support::quoted(argv) << " at " << now_ms_ - kStartMs << " ms";
  }

 private:
  // The clock is frozen before the server starts: every reading it ever
  // makes is an exact, known millisecond.
  static realserver::ServerOptions frozen_options(ClockControl& clock) {
    clock.freeze_at(WallTime{std::chrono::milliseconds{kStartMs}});
    return {.environment = clock.environment()};
  }

  clockshim::testing::TempDir dir_;
  ClockControl clock_;
  realserver::Server server_;
  RedisClient client_;
  Engine engine_;
  std::int64_t now_ms_ = kStartMs;
};

// PTTL counts down exactly with the clock; at `when` the key is still
// there with 0 ms left, at `when + 1` it is gone.
TEST(ClockDifferential, ExpiryAtWhenAndWhenPlusOne) {
  FrozenPair both;
  both.run({"SET", "k", "v", "PX", "1000"}, Reply::ok());
  both.run({"PTTL", "k"}, integer(1000));
  both.step(400ms);
  both.run({"PTTL", "k"}, integer(600));
  both.step(599ms);
  both.run({"PTTL", "k"}, integer(1));
  both.step(1ms);  // now == when
  both.run({"PTTL", "k"}, integer(0));
  both.run({"GET", "k"}, Reply::bulk("v"));
  both.run({"EXISTS", "k"}, integer(1));
  both.step(1ms);  // now == when + 1
  both.run({"PTTL", "k"}, integer(-2));
  both.run({"GET", "k"}, Reply::nil());
  both.run({"EXISTS", "k"}, integer(0));
}

// A backward step lengthens the TTL by the step; a forward step past
// `when` expires the key; stepping back again does not bring it back.
TEST(ClockDifferential, BackwardThenForwardSteps) {
  FrozenPair both;
  both.run({"SET", "k", "v", "PX", "1000"}, Reply::ok());
  both.step(-5000ms);
  both.run({"PTTL", "k"}, integer(6000));
  both.step(6000ms);  // exactly `when` again
  both.run({"PTTL", "k"}, integer(0));
  both.run({"GET", "k"}, Reply::bulk("v"));
  both.step(1ms);
  both.run({"GET", "k"}, Reply::nil());
  both.step(-10'000ms);
  both.run({"EXISTS", "k"}, integer(0));
}

// Absolute expiry times (PXAT, EXAT) and PEXPIRE against the frozen clock,
// around a forward step to exactly `when` and one millisecond past it.
TEST(ClockDifferential, AbsoluteTimesAndPexpireAroundSteps) {
  FrozenPair both;
  const std::string at = std::to_string(both.now_ms() + 2500);
  both.run({"SET", "abs", "v", "PXAT", at}, Reply::ok());
  both.run({"SET", "sec", "v", "EXAT", std::to_string((both.now_ms() + 3000) / 1000)}, Reply::ok());
  both.run({"SET", "rel", "v"}, Reply::ok());
  both.run({"PEXPIRE", "rel", "700"}, integer(1));
  both.run({"PTTL", "abs"}, integer(2500));
  both.run({"PTTL", "sec"}, integer(3000));
  both.step(700ms);
  both.run({"PTTL", "rel"}, integer(0));
  both.step(1ms);
  both.run({"PTTL", "rel"}, integer(-2));
  both.step(1799ms);  // abs: now == when
  both.run({"PTTL", "abs"}, integer(0));
  both.step(1ms);
  both.run({"PTTL", "abs"}, integer(-2));
  both.run({"PTTL", "sec"}, integer(499));
  both.step(-2000ms);
  both.run({"PTTL", "sec"}, integer(2499));
  both.run({"PEXPIRE", "sec", "1"}, integer(1));
  both.step(1ms);
  both.run({"PTTL", "sec"}, integer(0));
  both.step(1ms);
  both.run({"EXISTS", "sec"}, integer(0));
}

// --- active expiry after a step: no command touches the key ---

constexpr auto kCronPeriod = 100ms;  // 1000 / hz, hz 10 (the default)
constexpr auto kMargin = 20ms;

// The real server: frozen clock, a 1000 ms key, a 2 s forward step; DBSIZE
// (which counts without expiring anything) must reach 0 within one cron
// tick and the margin.
TEST(ClockDifferential, RealServerDeletesAnUntouchedKeyWithinATickOfAForwardStep) {
  clockshim::testing::TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.freeze_at(WallTime{std::chrono::milliseconds{kStartMs}});
  realserver::Server server({.environment = clock.environment()});
  ASSERT_TRUE(server.admin_ok({"SET", "untouched", "v", "PX", "1000"}).is_ok());
  std::this_thread::sleep_for(250ms);  // frozen: nothing expires meanwhile
  ASSERT_EQ(server.admin_ok({"DBSIZE"}).integer, 1);
  const auto stepped = std::chrono::steady_clock::now();
  clock.step_forward(2s);
  std::int64_t keys = 1;
  auto gone = stepped;
  while (keys != 0 && std::chrono::steady_clock::now() - stepped < 2s) {
    keys = server.admin_ok({"DBSIZE"}).integer;
    gone = std::chrono::steady_clock::now();
    if (keys != 0) std::this_thread::sleep_for(2ms);
  }
  EXPECT_EQ(keys, 0);
  EXPECT_LE(gone - stepped, kCronPeriod + kMargin);
}

// The simulated nodes' clocks read a present-day epoch time, as real
// servers' do: a step back then never takes them below zero, where the
// master would propagate a SET ... PXAT with a negative time that the
// replica rejects.
constexpr ClockSpec kEpochClock{.offset = std::chrono::milliseconds{kStartMs}};

// When the simulated master deletes an untouched key, as seen from a
// replica whose clock stays behind the master's: it reads the key as there
// until the master's DEL arrives (a replica never expires keys itself, but
// reads a key past its time, by its own clock, as gone). Polls the replica every millisecond of true time
// from `from`; returns the true time the key was first seen gone.
struct ExpiryWatch {
  bool seen_present = false;  // the key reached the replica
  TrueTime gone{};
  bool seen_gone = false;
};

void watch_replica(World& world, ProcessId replica_id, ExpiryWatch& watch, TrueTime from) {
  world.add_process({.name = "watcher", .main = [&world, replica_id, &watch, from](Process& p) {
                       Client replica(p, replica_id);
                       (void)p.sleep_for(from - world.true_now());
                       while (!watch.seen_gone && world.true_now() < true_time(20s)) {
                         SimResult<Reply> r = replica.call({"EXISTS", "untouched"}, p.now() + 50ms);
                         if (r && *r == Reply::integer_reply(1)) watch.seen_present = true;
                         if (watch.seen_present && r && *r == Reply::integer_reply(0)) {
                           watch.seen_gone = true;
                           watch.gone = world.true_now();
                         }
                         if (!p.sleep_for(1ms)) return;
                       }
                     }});
}

// The simulated node: the same 2 s forward step, at a true time between
// two of its cycles; the key must be gone (as the replica sees it, one
// network hop later) within a tick and the margin, and not before the
// step.
TEST(ClockDifferential, SimulatedNodeDeletesAnUntouchedKeyWithinATickOfAForwardStep) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId master = world.add_process(redis_server("master", {.clock = kEpochClock}));
  const ProcessId replica =
      world.add_process(redis_server("replica", {.clock = kEpochClock, .replica_of = "master"}));
  world.add_process({.name = "writer", .main = [master](Process& p) {
                       (void)p.sleep_for(100ms);  // the replica has linked
                       Client c(p, master);
                       EXPECT_EQ(*c.call({"SET", "untouched", "v", "PX", "1000"}, p.now() + 50ms),
                                 Reply::ok());
                     }});
  const TrueTime step_at = true_time(537ms);
  world.schedule({step_at, ClockJump{master, 2s}});
  ExpiryWatch watch;
  watch_replica(world, replica, watch, true_time(300ms));
  world.run_until(true_time(2s));
  ASSERT_TRUE(watch.seen_gone);
  EXPECT_GT(watch.gone, step_at);
  EXPECT_LE(watch.gone - step_at, kCronPeriod + kMargin);
}

// After a large backward step, the simulated node's cycle keeps its
// cadence (a monotonic timer): a key written after the step with a 100 ms
// TTL is deleted within a tick of its expiry, not after the step's length
// (10 s), which is what a cycle sleeping on the stepped clock would do.
TEST(ClockDifferential, SimulatedNodeKeepsItsCycleAfterABackwardStep) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId master = world.add_process(redis_server("master", {.clock = kEpochClock}));
  const ProcessId replica =
      world.add_process(redis_server("replica", {.clock = kEpochClock, .replica_of = "master"}));
  world.schedule({true_time(150ms), ClockJump{master, -10s}});
  // The replica's clock goes further back, so it reads the key as there
  // until the master's DEL arrives (the SET reaches it with an absolute
  // time, which its own clock must not pass first).
  world.schedule({true_time(150ms), ClockJump{replica, -20s}});
  world.add_process({.name = "writer", .main = [master](Process& p) {
                       (void)p.sleep_for(200ms);
                       Client c(p, master);
                       EXPECT_EQ(*c.call({"SET", "untouched", "v", "PX", "100"}, p.now() + 50ms),
                                 Reply::ok());
                     }});
  ExpiryWatch watch;
  watch_replica(world, replica, watch, true_time(210ms));
  world.run_until(true_time(3s));
  ASSERT_TRUE(watch.seen_gone);
  // Written at about 201 ms true time (one hop), it expires about 100 ms later.
  EXPECT_LE(watch.gone, true_time(201ms + 100ms + 1ms) + kCronPeriod + kMargin);
}

}  // namespace
}  // namespace locklab::sim::redis
