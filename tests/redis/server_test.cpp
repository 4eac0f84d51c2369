// Simulated redis-server processes in a world: the network path, pauses,
// persistence across kills and machine crashes, expiry by the node's clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim::redis {
namespace {

using namespace std::chrono_literals;

// A client that runs a list of timed commands against one node and records
// each reply (or error) as text. With `retry`, a call that finds its
// connection reset by a node that died in between is tried once more on a
// new connection, as an application with a reconnecting client would.
struct Script {
  struct Step {
    Duration at;  // on the client's clock
    Argv argv;
  };
  std::vector<Step> steps;
  std::vector<std::string> replies;
};

ProcessId add_client(World& world, ProcessId node, Script& script, bool retry = true) {
  return world.add_process({.name = "client", .main = [node, &script, retry](Process& p) {
                              Client client(p, node);
                              for (const Script::Step& step : script.steps) {
                                (void)p.sleep_until(LocalTime{step.at});
                                SimResult<Reply> r = client.call(step.argv, p.now() + 50ms);
                                if (retry && !r && r.error() == SimError::connection_reset) {
                                  r = client.call(step.argv, p.now() + 50ms);
                                }
                                script.replies.push_back(
                                    r ? to_display(*r) : std::string(sim::name_of(r.error())));
                              }
                            }});
}

TEST(RedisServer, AnswersOverTheNetworkInOneRoundTrip) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis", {.command_time = 100us}));
  TrueTime replied{};
  world.add_process({.name = "client", .main = [&](Process& p) {
                       Client c(p, node);
                       ASSERT_EQ(*c.call({"PING"}, p.now() + 1s), Reply::status("PONG"));  // connects
                       const TrueTime sent = world.true_now();
                       ASSERT_EQ(*c.call({"SET", "k", "v", "NX", "PX", "5000"}, p.now() + 1s),
                                 Reply::ok());
                       replied = world.true_now();
                       EXPECT_EQ(replied - sent, 2ms + 100us);
                       EXPECT_EQ(*c.call({"GET", "k"}, p.now() + 1s), Reply::bulk("v"));
                     }});
  world.run_until(true_time(1s));
  EXPECT_NE(replied, TrueTime{});
}

// A SET NX whose sender timed out during a server pause is applied when the
// server resumes: the client must treat it as "maybe applied".
TEST(RedisServer, PausedNodeAppliesQueuedWritesAfterResume) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis"));
  Script s{{{10ms, {"PING"}}, {100ms, {"SET", "lock", "a", "NX", "PX", "60000"}},
            {500ms, {"GET", "lock"}}}};
  add_client(world, node, s);
  world.schedule({true_time(50ms), ProcessPause{node}});
  world.schedule({true_time(300ms), ProcessResume{node}});
  world.run_until(true_time(1s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("PONG", "timed_out", "\"a\""));
}

// What survives, for each persistence mode and each kind of crash. The key
// is written at 100ms; the crash comes at 500ms; the node restarts at 600ms
// and the client reads the key at 700ms.
struct SurvivalCase {
  Persistence persistence;
  bool machine_crash;
  bool survives;
};

class Survival : public ::testing::TestWithParam<SurvivalCase> {};

TEST_P(Survival, KeyWrittenBeforeTheCrash) {
  const SurvivalCase c = GetParam();
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(
      redis_server("redis", {.persistence = c.persistence, .rdb_interval = 10s}));
  Script s{{{100ms, {"SET", "k", "v"}}, {700ms, {"GET", "k"}}}};
  add_client(world, node, s);
  world.schedule({true_time(500ms), c.machine_crash ? FaultAction{MachineCrash{node}}
                                                    : FaultAction{ProcessKill{node}}});
  world.schedule({true_time(600ms), ProcessRestart{node}});
  world.run_until(true_time(1s));
  ASSERT_EQ(s.replies.size(), 2u);
  EXPECT_EQ(s.replies[0], "OK");
  EXPECT_EQ(s.replies[1], c.survives ? "\"v\"" : "(nil)")
      << name_of(c.persistence) << (c.machine_crash ? " machine crash" : " kill");
}

INSTANTIATE_TEST_SUITE_P(
    PersistenceModes, Survival,
    ::testing::Values(SurvivalCase{Persistence::none, false, false},
                      SurvivalCase{Persistence::none, true, false},
                      SurvivalCase{Persistence::aof_always, false, true},
                      SurvivalCase{Persistence::aof_always, true, true},
                      // everysec: the OS still has the write after a kill...
                      SurvivalCase{Persistence::aof_everysec, false, true},
                      // ...but a power loss before the next fsync (at 1s) loses it.
                      SurvivalCase{Persistence::aof_everysec, true, false},
                      // RDB: nothing newer than the last snapshot survives.
                      SurvivalCase{Persistence::rdb, false, false},
                      SurvivalCase{Persistence::rdb, true, false}));

// An everysec write older than the last fsync survives a power loss, and an
// RDB snapshot keeps what it saw.
TEST(RedisServer, SyncedWritesSurviveAMachineCrash) {
  for (Persistence mode : {Persistence::aof_everysec, Persistence::rdb}) {
    World world({.latency = FixedLatency{1ms}});
    const ProcessId node =
        world.add_process(redis_server("redis", {.persistence = mode, .rdb_interval = 1s}));
    Script s{{{100ms, {"SET", "k", "v"}}, {1700ms, {"GET", "k"}}}};
    add_client(world, node, s);
    world.schedule({true_time(1500ms), MachineCrash{node}});
    world.schedule({true_time(1600ms), ProcessRestart{node}});
    world.run_until(true_time(2s));
    EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", "\"v\"")) << name_of(mode);
  }
}

// The AOF holds absolute expiry times: time spent down counts against the
// key's TTL, judged by the node's clock at restart.
TEST(RedisServer, RestoredKeysKeepTheirAbsoluteExpiry) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node =
      world.add_process(redis_server("redis", {.persistence = Persistence::aof_always}));
  Script s{{{0ms, {"SET", "k", "v", "PX", "2000"}}, {1200ms, {"PTTL", "k"}},
            {2500ms, {"GET", "k"}}}};
  add_client(world, node, s);
  world.schedule({true_time(500ms), ProcessKill{node}});
  world.schedule({true_time(1s), ProcessRestart{node}});
  world.run_until(true_time(3s));
  ASSERT_EQ(s.replies.size(), 3u);
  EXPECT_EQ(s.replies[0], "OK");
  EXPECT_EQ(s.replies[1], "(integer) 800");  // written at 1ms (node clock), read at 1201ms
  EXPECT_EQ(s.replies[2], "(nil)");
}

// A delayed restart keeps the node unavailable: connections are refused.
TEST(RedisServer, DelayedRestartRefusesConnectionsMeanwhile) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis", {.restart_delay = 1s}));
  Script s{{{100ms, {"PING"}}, {700ms, {"PING"}}, {1700ms, {"PING"}}}};
  add_client(world, node, s);
  world.schedule({true_time(200ms), ProcessKill{node}});
  world.schedule({true_time(300ms), ProcessRestart{node}});
  world.run_until(true_time(2s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("PONG", "connection_refused", "PONG"));
}

// A forward jump of the node's clock expires keys at once; the active cycle
// deletes them within its period, so they stay gone when the clock returns.
TEST(RedisServer, ForwardClockJumpExpiresKeysForGood) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis"));
  Script s{{{0ms, {"SET", "k", "v", "PX", "10000"}}, {500ms, {"GET", "k"}}}};
  add_client(world, node, s);
  world.schedule({true_time(100ms), ClockJump{node, 20s}});
  world.schedule({true_time(250ms), ClockJump{node, -20s}});
  world.run_until(true_time(1s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", "(nil)"));
}

// A backward jump of the node's clock lengthens every remaining TTL by the
// jump: a key due to expire at 1s of the node's clock outlives it.
TEST(RedisServer, BackwardClockJumpLengthensTtls) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis"));
  Script s{{{0ms, {"SET", "k", "v", "PX", "1000"}}, {500ms, {"PTTL", "k"}},
            {1500ms, {"GET", "k"}}, {2500ms, {"GET", "k"}}}};
  add_client(world, node, s);
  world.schedule({true_time(200ms), ClockJump{node, -1s}});
  world.run_until(true_time(3s));
  // The SET reached the node at 3ms (after the 2ms handshake), so the key
  // expires at 1003ms of the node's clock; the PTTL reached it at 501ms true
  // time, when its clock read -499ms: 1502ms left. At 1500ms true time the
  // clock reads 501ms (still there); at 2500ms it reads 1501ms (gone).
  EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", "(integer) 1502", "\"v\"", "(nil)"));
}

// A killed node resets its connections; the client's next call reconnects.
TEST(RedisServer, KilledNodeResetsConnections) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis"));
  Script s{{{10ms, {"PING"}}, {200ms, {"PING"}}, {400ms, {"PING"}}}};
  add_client(world, node, s, /*retry=*/false);
  world.schedule({true_time(100ms), ProcessKill{node}});
  world.schedule({true_time(300ms), ProcessRestart{node}});
  world.run_until(true_time(1s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("PONG", "connection_reset", "PONG"));
}

}  // namespace
}  // namespace locklab::sim::redis
