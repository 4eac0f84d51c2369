// Simulated redis-server processes in a world: the network path, pauses,
// persistence across kills and machine crashes, expiry by the node's clock.
#include <fmt/format.h>
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

// The connection broke under the request (the node was killed or
// restarted): it is worth one more try on a new connection.
bool broke(SimError e) {
  return e == SimError::connection_reset || e == SimError::connection_closed;
}

ProcessId add_client(World& world, ProcessId node, Script& script, bool retry = true) {
  return world.add_process({.name = "client", .main = [node, &script, retry](Process& p) {
                              Client client(p, node);
                              for (const Script::Step& step : script.steps) {
                                (void)p.sleep_until(LocalTime{step.at});
                                SimResult<Reply> r = client.call(step.argv, p.now() + 50ms);
                                if (retry && !r && broke(r.error())) {
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

// Nothing expires while the AOF loads, as in Redis: a key whose first
// expiry (1 s) passed while the node was down, but which a later PEXPIRE
// (inside a script, as a lock's extend does) moved to 5 s, comes back with
// its last expiry; a key still past after the whole replay is gone.
TEST(RedisServer, AKeyExtendedBeforeACrashSurvivesARestartAfterItsFirstExpiry) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node =
      world.add_process(redis_server("redis", {.persistence = Persistence::aof_always}));
  Script s{{{0ms, {"SET", "k", "v", "PX", "1000"}},
            {10ms, {"EVAL", "return redis.call('PEXPIRE', KEYS[1], ARGV[1])", "1", "k", "5000"}},
            {20ms, {"SET", "short", "v", "PX", "500"}},
            {1300ms, {"PTTL", "k"}},
            {1310ms, {"GET", "short"}}}};
  add_client(world, node, s);
  world.schedule({true_time(100ms), MachineCrash{node}});
  world.schedule({true_time(1200ms), ProcessRestart{node}});
  world.run_until(true_time(2s));
  ASSERT_EQ(s.replies.size(), 5u);
  EXPECT_EQ(s.replies[1], "(integer) 1");
  // Until about 5011 ms (the PEXPIRE applied at 11 ms), read a few ms after
  // 1300 ms (the crash reset the connection: the read reconnects first).
  ASSERT_TRUE(s.replies[3].starts_with("(integer) ")) << s.replies[3];
  const int left = std::stoi(s.replies[3].substr(10));
  EXPECT_GE(left, 3690);
  EXPECT_LE(left, 3711);
  EXPECT_EQ(s.replies[4], "(nil)");
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

// A killed node's kernel closes its connections (a FIN: it had read every
// request). The client's next request goes into the closed connection and
// is answered with a reset, reported as the end of the stream (the FIN came
// first); the call after that reconnects.
TEST(RedisServer, KilledNodeClosesConnections) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis"));
  Script s{{{10ms, {"PING"}}, {200ms, {"PING"}}, {400ms, {"PING"}}}};
  add_client(world, node, s, /*retry=*/false);
  world.schedule({true_time(100ms), ProcessKill{node}});
  world.schedule({true_time(300ms), ProcessRestart{node}});
  world.run_until(true_time(1s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("PONG", "connection_closed", "PONG"));
}

constexpr const char* kLoading = "(error) LOADING Redis is loading the dataset in memory";

// A node killed at 100ms and restarted at 200ms, loading for `load_time`,
// and a client running `s` (which writes "k" at 10ms, before the kill).
void add_restarted_node(World& world, Duration load_time, Script& s,
                        Persistence persistence = Persistence::aof_always) {
  const ProcessId node =
      world.add_process(redis_server("redis", {.persistence = persistence, .load_time = load_time}));
  add_client(world, node, s);
  world.schedule({true_time(100ms), ProcessKill{node}});
  world.schedule({true_time(200ms), ProcessRestart{node}});
}

// A restarted node is up but refuses writes and reads with LOADING until its
// AOF is in memory (200ms of its clock after the restart), then serves the
// keys it persisted: a lock client sees errors, not an empty keyspace.
TEST(RedisServer, RestartedNodeAnswersLoadingUntilItsAofIsLoaded) {
  Script s{{{10ms, {"SET", "k", "v"}}, {250ms, {"SET", "k2", "w"}}, {300ms, {"GET", "k"}},
            {395ms, {"SET", "k2", "w"}}, {405ms, {"SET", "k2", "w"}}, {410ms, {"GET", "k"}}}};
  World world({.latency = FixedLatency{1ms}});
  add_restarted_node(world, 200ms, s);
  world.run_until(true_time(1s));
  // The request at 395ms reaches the node at 396ms (loading); the one at
  // 405ms, at 406ms (loaded at 400ms).
  EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", kLoading, kLoading, kLoading, "OK", "\"v\""));
}

// Redis 7.0's PING has no "LOADING" flag (src/commands/ping.json), so a
// loading node answers it LOADING, as it does WAIT (the server's own
// command); health checks that want PONG see the node as not ready yet.
TEST(RedisServer, PingAndWaitAnswerLoadingWhileTheNodeLoads) {
  Script s{{{10ms, {"SET", "k", "v"}}, {250ms, {"PING"}}, {260ms, {"WAIT", "0", "0"}},
            {270ms, {"PING", "a", "b"}}, {280ms, {"NOPE"}}, {450ms, {"PING"}}}};
  World world({.latency = FixedLatency{1ms}});
  add_restarted_node(world, 200ms, s);
  world.run_until(true_time(1s));
  // A wrong PING is refused as loading (PING checks its arguments itself);
  // an unknown command is named before loading is looked at.
  EXPECT_THAT(s.replies,
              ::testing::ElementsAre(
                  "OK", kLoading, kLoading, kLoading,
                  "(error) ERR unknown command 'NOPE', with args beginning with: ", "PONG"));
}

// The default (load_time 0) keeps every existing world as it was, and a node
// with nothing persisted has nothing to load: neither answers LOADING.
TEST(RedisServer, NoLoadingWithoutLoadTimeOrPersistedData) {
  for (const auto& [load_time, persistence] :
       {std::pair{Duration{0}, Persistence::aof_always}, std::pair{Duration{200ms}, Persistence::none}}) {
    Script s{{{10ms, {"SET", "k", "v"}}, {210ms, {"PING"}}, {220ms, {"SET", "k2", "w"}}}};
    World world({.latency = FixedLatency{1ms}});
    add_restarted_node(world, load_time, s, persistence);
    world.run_until(true_time(1s));
    EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", "PONG", "OK")) << name_of(persistence);
  }
}

// The first start finds an empty disk: nothing to load, so the node serves
// at once even with a load time.
TEST(RedisServer, FirstStartWithAnEmptyDiskDoesNotLoad) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(
      redis_server("redis", {.persistence = Persistence::aof_always, .load_time = 200ms}));
  Script s{{{0ms, {"PING"}}}};
  add_client(world, node, s);
  world.run_until(true_time(1s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("PONG"));
}

// A node killed while loading loads from the start again after its next
// restart: the first loading would have ended at 400ms, the second restart
// (350ms) loads until 550ms. An RDB image loads the same way.
TEST(RedisServer, KillDuringLoadingStartsTheLoadingOver) {
  for (Persistence mode : {Persistence::aof_always, Persistence::rdb}) {
    World world({.latency = FixedLatency{1ms}});
    const ProcessId node = world.add_process(
        redis_server("redis", {.persistence = mode, .rdb_interval = 50ms, .load_time = 200ms}));
    Script s{{{10ms, {"SET", "k", "v"}}, {250ms, {"GET", "k"}}, {450ms, {"GET", "k"}},
              {545ms, {"GET", "k"}}, {560ms, {"GET", "k"}}}};
    add_client(world, node, s);
    world.schedule({true_time(100ms), ProcessKill{node}});
    world.schedule({true_time(200ms), ProcessRestart{node}});
    world.schedule({true_time(300ms), ProcessKill{node}});
    world.schedule({true_time(350ms), ProcessRestart{node}});
    world.run_until(true_time(1s));
    EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", kLoading, kLoading, kLoading, "\"v\""))
        << name_of(mode);
  }
}

// The loading phase is virtual time on the node's clock: a node whose clock
// runs 10% fast (drift) finishes its 200ms of loading sooner in true time.
TEST(RedisServer, LoadingTakesTheNodesOwnClockTime) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server(
      "redis",
      {.persistence = Persistence::aof_always, .load_time = 200ms, .clock = {.drift_ppm = 100'000}}));
  // It restarts at true 200ms, 220ms of its clock, and is loaded at 420ms
  // of its clock, true 381.8ms. The GET reconnects (the kill reset the
  // connection) and reaches it at true 383ms: loaded (with an exact clock,
  // it would still be loading until 400ms).
  Script s{{{10ms, {"SET", "k", "v"}}, {380ms, {"GET", "k"}}}};
  add_client(world, node, s);
  world.schedule({true_time(100ms), ProcessKill{node}});
  world.schedule({true_time(200ms), ProcessRestart{node}});
  world.run_until(true_time(1s));
  EXPECT_THAT(s.replies, ::testing::ElementsAre("OK", "\"v\""));
}

// A negative load time is a configuration mistake, refused by name.
TEST(RedisServer, NegativeLoadTimeIsRefused) {
  EXPECT_THROW((void)redis_server("redis", {.load_time = -1ms}), std::invalid_argument);
}

// Same seed, same trace, with loading phases, kills during loading, random
// latencies and ready order: the loading phase adds no nondeterminism.
TEST(RedisServer, LoadingIsDeterministic) {
  const auto run = [](std::uint64_t seed) {
    World world({.seed = seed, .order = ReadyOrder::random, .latency = UniformLatency{100us, 3ms}});
    const ProcessId node = world.add_process(redis_server(
        "redis",
        {.persistence = Persistence::aof_everysec, .command_time = 50us, .load_time = 150ms}));
    int loading = 0;
    for (int c = 0; c < 3; ++c) {
      world.add_process({.name = fmt::format("client-{}", c), .main = [node, c, &loading](Process& p) {
                           Client client(p, node);
                           const std::string key = fmt::format("k{}", c);
                           for (int i = 0;; ++i) {
                             const Argv argv = i % 2 == 0 ? Argv{"SET", key, fmt::format("{}", i)}
                                                          : Argv{"GET", key};
                             SimResult<Reply> r = client.call(argv, p.now() + 20ms);
                             if (r && r->is_error_code("LOADING")) ++loading;
                             if (!p.sleep_for(Duration{p.rng().between(1'000'000, 9'000'000)})) return;
                           }
                         }});
    }
    world.schedule({true_time(300ms), ProcessKill{node}});
    world.schedule({true_time(350ms), ProcessRestart{node}});
    world.schedule({true_time(420ms), ProcessKill{node}});
    world.schedule({true_time(450ms), ProcessRestart{node}});
    world.run_until(true_time(1500ms));
    return std::pair{world.trace().hash(), loading};
  };
  const auto [hash, loading] = run(7);
  EXPECT_GT(loading, 0);
  EXPECT_EQ(run(7), std::pair(hash, loading));
  EXPECT_NE(run(8).first, hash);
}

}  // namespace
}  // namespace locklab::sim::redis
