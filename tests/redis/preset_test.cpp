// Preset keys: what a simulated redis-server holds when it first starts, as
// if written before the world began — on its disk when it persists, with a
// TTL on its own clock, set once, and in the trace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim::redis {
namespace {

using namespace std::chrono_literals;

// Commands at times of the client's clock, each reply as text.
struct Timed {
  Duration at;
  Argv argv;
};

// Adds the client; `replies` fills as the world runs.
void add_client(World& world, ProcessId node, std::vector<Timed> steps, std::vector<std::string>& replies) {
  world.add_process({.name = "client", .main = [node, steps, &replies](Process& p) {
                       Client client(p, node);
                       for (const Timed& step : steps) {
                         (void)p.sleep_until(LocalTime{step.at});
                         SimResult<Reply> r = client.call(step.argv, p.now() + 50ms);
                         if (!r) r = client.call(step.argv, p.now() + 50ms);  // the node restarted
                         replies.push_back(r ? to_display(*r) : std::string(sim::name_of(r.error())));
                       }
                     }});
}

const std::vector<PresetKey> kPresets = {
    {.key = "lock", .value = "someone-else"},
    {.key = "lock:fence", .value = "41"},  // a fencing counter
    {.key = "lease", .value = "x", .ttl = 2s},
};

// The keys are there from the start; the TTL runs from the node's first
// start on its own clock (10 s ahead here: that changes nothing for it).
TEST(RedisPreset, KeysAreThereAtTheFirstStartWithTheirTtl) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(
      redis_server("redis", {.clock = {.offset = 10s}, .preset = kPresets}));
  std::vector<std::string> replies;
  world.add_process({.name = "client", .main = [&](Process& p) {
                       Client c(p, node);
                       const auto call = [&](Argv argv) {
                         SimResult<Reply> r = c.call(argv, p.now() + 50ms);
                         replies.push_back(r ? to_display(*r) : std::string(sim::name_of(r.error())));
                       };
                       call({"GET", "lock"});
                       call({"INCR", "lock:fence"});
                       (void)p.sleep_until(LocalTime{1s});
                       call({"PTTL", "lease"});  // arrives at 1001 ms
                       (void)p.sleep_until(LocalTime{2s});
                       call({"GET", "lease"});   // arrives at 2001 ms: past 2000
                     }});
  world.run_until(true_time(3s));
  EXPECT_THAT(replies, ::testing::ElementsAre("\"someone-else\"", "(integer) 42", "(integer) 999", "(nil)"));
}

// Presets are data from before the start: a node with persistence has them
// on its disk, synced, so a kill or a machine crash keeps them; a node
// without persistence loses them with its memory.
TEST(RedisPreset, SurviveARestartExactlyWhenTheNodePersists) {
  for (const Persistence mode :
       {Persistence::none, Persistence::aof_always, Persistence::aof_everysec, Persistence::rdb}) {
    for (const bool machine_crash : {false, true}) {
      World world({.latency = FixedLatency{1ms}});
      const ProcessId node = world.add_process(redis_server("redis", {.persistence = mode, .preset = kPresets}));
      world.schedule({true_time(500ms), machine_crash ? FaultAction{MachineCrash{node}} : FaultAction{ProcessKill{node}}});
      world.schedule({true_time(600ms), ProcessRestart{node}});
      std::vector<std::string> replies;
      add_client(world, node, {{700ms, {"GET", "lock"}}, {800ms, {"PTTL", "lease"}}}, replies);
      world.run_until(true_time(1s));
      SCOPED_TRACE(std::string(name_of(mode)) + (machine_crash ? " machine crash" : " kill"));
      if (mode == Persistence::none) {
        EXPECT_THAT(replies, ::testing::ElementsAre("(nil)", "(integer) -2"));
      } else {
        // The absolute expiry came back with the key: 2000 - 801 ms left.
        EXPECT_THAT(replies, ::testing::ElementsAre("\"someone-else\"", "(integer) 1199"));
      }
    }
  }
}

// Only the first start sets them: a preset key deleted before a restart
// stays deleted.
TEST(RedisPreset, ARestartDoesNotSetThemAgain) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node =
      world.add_process(redis_server("redis", {.persistence = Persistence::aof_always, .preset = kPresets}));
  world.schedule({true_time(500ms), ProcessKill{node}});
  world.schedule({true_time(600ms), ProcessRestart{node}});
  std::vector<std::string> replies;
  add_client(world, node, {{100ms, {"DEL", "lock"}}, {700ms, {"GET", "lock"}}}, replies);
  world.run_until(true_time(1s));
  EXPECT_THAT(replies, ::testing::ElementsAre("(integer) 1", "(nil)"));
}

// Each preset is a note of its node in the trace, so two worlds that differ
// only in a preset's value have different trace hashes.
TEST(RedisPreset, EachPresetIsATraceNote) {
  const auto world_with = [](std::string value) {
    auto world = std::make_unique<World>(WorldConfig{.trace = {.keep_records = true}});
    world->add_process(redis_server("redis", {.preset = {{.key = "k", .value = std::move(value), .ttl = 3s}}}));
    world->run_until(true_time(10ms));
    return world;
  };
  const auto a = world_with("one");
  const auto b = world_with("two");
  std::vector<std::string> notes;
  for (const TraceRecord& r : a->trace().records()) {
    if (r.kind == TraceKind::note && r.text.starts_with("preset")) notes.push_back(r.text);
  }
  EXPECT_THAT(notes, ::testing::ElementsAre("preset SET k one PXAT 3000"));
  EXPECT_NE(a->trace().hash(), b->trace().hash());
}

TEST(RedisPreset, AnEmptyKeyOrANonPositiveTtlIsRefused) {
  EXPECT_THROW(redis_server("redis", {.preset = {{.key = "", .value = "v"}}}), std::invalid_argument);
  EXPECT_THROW(redis_server("redis", {.preset = {{.key = "k", .value = "v", .ttl = 0ms}}}), std::invalid_argument);
}

}  // namespace
}  // namespace locklab::sim::redis
