// Determinism: a world plus a seed gives the same trace, byte for byte, on
// every run, on any thread, whatever else runs beside it.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <thread>

#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  std::uint64_t hash = 0;
  std::uint64_t records = 0;
  RunStatus status = RunStatus::idle;
  std::string jsonl;
};

// A busy little world that uses every source of nondeterminism the simulator
// owns: random latencies, random sleeps, random ready order, drifting clocks
// and faults of every kind.
void build_busy_world(World& world) {
  const ProcessId server = world.add_process({.name = "server", .main = [](Process& p) {
    Listener listener = p.listen();
    for (int n = 0;; ++n) {
      auto accepted = listener.accept();
      if (!accepted) return;
      auto socket = std::make_shared<Socket>(std::move(*accepted));
      p.spawn("conn", [socket] {
        while (auto request = socket->recv()) {
          if (!socket->send("re:" + *request)) return;
        }
      });
    }
  }});
  std::vector<ProcessId> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(world.add_process(
        {.name = "client-" + std::to_string(i),
         .clock = {.offset = std::chrono::milliseconds(i), .drift_ppm = 50 * i - 100},
         .main = [server](Process& p) {
           for (int round = 0;; ++round) {
             auto socket = p.connect(server, p.now() + 30ms);
             if (!socket) {
               (void)p.sleep_for(5ms);
               continue;
             }
             for (int request = 0; request < 5; ++request) {
               if (!socket->send(std::to_string(p.rng().below(1000)))) break;
               if (!socket->recv(p.now() + 10ms)) break;
               (void)p.sleep_for(Duration{p.rng().between(0, 3'000'000)});
             }
           }
         }}));
  }
  world.schedule({true_time(200ms), LinkPartition{{clients[0]}, {server}}});
  world.schedule({true_time(300ms), LinkHeal{{clients[0]}, {server}}});
  world.schedule({true_time(350ms), ProcessPause{server}});
  world.schedule({true_time(420ms), ProcessResume{server}});
  world.schedule({true_time(500ms), ProcessKill{clients[1]}});
  world.schedule({true_time(550ms), ProcessRestart{clients[1]}});
  world.schedule({true_time(600ms), ClockJump{clients[2], -20ms}});
  world.schedule({true_time(650ms), MessageDelay{clients[3], server, 40ms, 2}});
  world.schedule({true_time(700ms), LinkPartition{{clients[2]}, {server}, true, PartitionMode::reset}});
  world.schedule({true_time(760ms), LinkHeal{{clients[2]}, {server}, true}});
}

Outcome run_busy_world(std::uint64_t seed, bool with_jsonl = false) {
  std::ostringstream jsonl;
  World world({.seed = seed,
               .order = ReadyOrder::random,
               .latency = HeavyTailLatency{200us, 20ms},
               .trace = {.jsonl = with_jsonl ? &jsonl : nullptr}});
  build_busy_world(world);
  RunResult r = world.run_until(true_time(1s));
  return {world.trace().hash(), world.trace().size(), r.status, jsonl.str()};
}

TEST(Determinism, SameSeedGivesTheSameTraceHash) {
  const Outcome a = run_busy_world(11);
  const Outcome b = run_busy_world(11);
  EXPECT_EQ(a.status, RunStatus::reached_time);
  EXPECT_GT(a.records, 1000u);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.records, b.records);
}

TEST(Determinism, DifferentSeedsGiveDifferentTraces) {
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) hashes.insert(run_busy_world(seed).hash);
  EXPECT_EQ(hashes.size(), 8u);
}

// The JSON Lines trace is identical byte for byte, not just its hash.
TEST(Determinism, JsonLinesTraceIsByteIdentical) {
  const Outcome a = run_busy_world(5, true);
  const Outcome b = run_busy_world(5, true);
  EXPECT_FALSE(a.jsonl.empty());
  EXPECT_EQ(a.jsonl, b.jsonl);
}

// Writing JSON Lines turns off firing events on the parking fiber's way out
// (World::fire_event_inline, and a fiber firing them itself before it parks):
// both ways give the same trace, record for record.
TEST(Determinism, FiringEventsInlineLeavesTheTraceUnchanged) {
  for (std::uint64_t seed : {5, 6, 7}) {
    const Outcome with_json = run_busy_world(seed, true);
    const Outcome inline_fired = run_busy_world(seed);
    EXPECT_EQ(with_json.hash, inline_fired.hash) << "seed " << seed;
    EXPECT_EQ(with_json.records, inline_fired.records) << "seed " << seed;
  }
}

// Worlds on two threads at once each match a world run alone: there is no
// shared state between worlds.
TEST(Determinism, WorldsOnParallelThreadsMatchSequentialRuns) {
  const Outcome alone_a = run_busy_world(21);
  const Outcome alone_b = run_busy_world(22);
  Outcome threaded_a, threaded_b;
  std::thread ta([&] { threaded_a = run_busy_world(21); });
  std::thread tb([&] { threaded_b = run_busy_world(22); });
  ta.join();
  tb.join();
  EXPECT_EQ(threaded_a.hash, alone_a.hash);
  EXPECT_EQ(threaded_b.hash, alone_b.hash);
}

// Two worlds alive on one thread, run in alternating slices, each give the
// trace they give alone.
TEST(Determinism, InterleavedWorldsOnOneThreadStayIndependent) {
  const Outcome alone_a = run_busy_world(31);
  const Outcome alone_b = run_busy_world(32);
  World a({.seed = 31, .order = ReadyOrder::random, .latency = HeavyTailLatency{200us, 20ms}});
  World b({.seed = 32, .order = ReadyOrder::random, .latency = HeavyTailLatency{200us, 20ms}});
  build_busy_world(a);
  build_busy_world(b);
  for (int slice = 1; slice <= 10; ++slice) {
    a.run_until(true_time(slice * 100ms));
    b.run_until(true_time(slice * 100ms));
  }
  EXPECT_EQ(a.trace().hash(), alone_a.hash);
  EXPECT_EQ(b.trace().hash(), alone_b.hash);
}

}  // namespace
}  // namespace locklab::sim
