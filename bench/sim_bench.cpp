// Simulator throughput, against the bare cost of a Boost.Fiber switch.
//
//   BM_BoostYieldPingPong  two plain fibers yielding to each other under
//                          Boost's default round_robin scheduler: the floor
//                          any fiber-based simulator pays per resumption.
//   BM_WorldTimerEvents    100 processes x 2 fibers sleeping on world timers
//                          and waking each other through sim::Signal.
//   BM_NetworkMessages     clients ping-ponging with an echo server over
//                          sim::Socket.
//
// The world benchmarks count World::events_processed() (queue events plus
// fiber resumptions) as their work, report it per second of real time, and
// as `vs_yield_pingpong`: that rate divided by the bare yield rate measured
// once in the same process run (so the ratio compares like with like on the
// machine at hand). The project's target is 2 million world events per second
// on one core: run pinned, as scripts/bench.sh does.
//
// A World installs its own Boost.Fiber scheduling algorithm on the thread that
// creates it, for good. The yield baselines therefore always run on a fresh
// std::thread, which still has Boost's default round_robin.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "locklab/sim/network.hpp"
#include "locklab/sim/process.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace {

namespace sim = locklab::sim;
using namespace std::chrono_literals;

// Runs two plain fibers on the calling thread that yield to each other
// `yields_each` times apiece; returns the total number of yields.
std::int64_t yield_ping_pong(std::int64_t yields_each) {
  auto body = [yields_each] {
    for (std::int64_t i = 0; i < yields_each; ++i) boost::this_fiber::yield();
  };
  boost::fibers::fiber a(body);
  boost::fibers::fiber b(body);
  a.join();
  b.join();
  return 2 * yields_each;
}

// Bare yields per second on this machine: the best of three short runs on a
// fresh thread (after a warm-up), measured once per process and cached.
double baseline_yields_per_second() {
  static const double rate = [] {
    double best = 0;
    std::thread runner([&best] {
      yield_ping_pong(20'000);  // warm-up: stacks, caches
      for (int run = 0; run < 3; ++run) {
        const auto start = std::chrono::steady_clock::now();
        const std::int64_t yields = yield_ping_pong(100'000);  // 200k yields
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        best = std::max(best, static_cast<double>(yields) / took.count());
      }
    });
    runner.join();
    return best;
  }();
  return rate;
}

// Real time of a benchmark loop, measured alongside Google Benchmark's own
// (which it does not expose to the benchmark), for the ratio below.
class LoopClock {
 public:
  LoopClock() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// World events per second (a rate counter), and that rate divided by the
// bare yield rate: a plain number, about "how many bare fiber switches' worth
// of time one world event costs", inverted.
void report_world_events(benchmark::State& state, std::uint64_t events, double seconds) {
  const double n = static_cast<double>(events);
  state.counters["world_events_per_second"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  if (seconds > 0) {
    state.counters["vs_yield_pingpong"] = n / seconds / baseline_yields_per_second();
  }
}

// Baseline: two plain Boost.Fiber fibers yielding to each other under the
// default round_robin scheduler, on a fresh thread (see the file comment).
// One iteration is one round trip: two yields.
void BM_BoostYieldPingPong(benchmark::State& state) {
  std::thread runner([&state] {
    bool done = false;
    std::int64_t yields = 0;
    boost::fibers::fiber measured([&] {
      for (auto _ : state) {
        boost::this_fiber::yield();
        ++yields;
      }
      done = true;
    });
    boost::fibers::fiber partner([&] {
      while (!done) {
        boost::this_fiber::yield();
        ++yields;
      }
    });
    measured.join();
    partner.join();
    state.SetItemsProcessed(yields);
  });
  runner.join();
}
BENCHMARK(BM_BoostYieldPingPong)->UseRealTime();

// Each process: two fibers, each looping "sleep a random few microseconds on
// a world timer, wake the other, wait for the other to wake me (with a
// deadline)". The world runs 1ms of virtual time per iteration.
constexpr int kTimerProcesses = 100;

void timer_process(sim::Process& p) {
  auto signals = std::make_shared<std::pair<sim::Signal, sim::Signal>>(p, p);
  auto loop = [&p, signals](int me) {
    sim::Signal& mine = me == 0 ? signals->first : signals->second;
    sim::Signal& theirs = me == 0 ? signals->second : signals->first;
    for (;;) {
      if (!p.sleep_for(sim::Duration{p.rng().between(1'000, 50'000)})) return;
      theirs.notify_one();
      const sim::SimResult<void> woke =
          mine.wait(p.now() + sim::Duration{p.rng().between(10'000, 100'000)});
      if (!woke && woke.error() == sim::SimError::killed) return;
    }
  };
  p.spawn("other", [loop] { loop(1); });
  loop(0);
}

void BM_WorldTimerEvents(benchmark::State& state) {
  sim::World world({.seed = 42});
  for (int i = 0; i < kTimerProcesses; ++i) {
    world.add_process({.name = "timers-" + std::to_string(i), .main = timer_process});
  }
  world.run_for(1ms);  // every fiber started and in its loop
  baseline_yields_per_second();  // measured now, not inside the timed loop
  const std::uint64_t before = world.events_processed();
  const LoopClock loop_clock;
  for (auto _ : state) {
    const sim::RunResult r = world.run_for(1ms);
    if (r.status != sim::RunStatus::reached_time) {
      state.SkipWithError(("world stopped: " + std::string(sim::name_of(r.status)) + " " +
                           r.detail).c_str());
      break;
    }
  }
  const std::uint64_t events = world.events_processed() - before;
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  report_world_events(state, events, loop_clock.seconds());
  state.counters["fibers"] = static_cast<double>(world.live_fibers());
}
BENCHMARK(BM_WorldTimerEvents)->UseRealTime();

// An echo server (a fiber per connection) and kNetClients clients, each
// sending a request and waiting for its echo, back to back, over the default
// 100µs fixed latency. The world runs 10ms of virtual time per iteration.
constexpr int kNetClients = 16;

void echo_server(sim::Process& self) {
  sim::Listener listener = self.listen();
  for (;;) {
    sim::SimResult<sim::Socket> accepted = listener.accept();
    if (!accepted) return;
    auto socket = std::make_shared<sim::Socket>(std::move(*accepted));
    self.spawn("conn", [socket] {
      for (;;) {
        sim::SimResult<std::string> request = socket->recv();
        if (!request) return;
        if (!socket->send(std::move(*request))) return;
      }
    });
  }
}

void ping_client(sim::Process& self, sim::ProcessId server) {
  for (;;) {
    sim::SimResult<sim::Socket> opened = self.connect(server, self.now() + 50ms);
    if (!opened) {
      if (opened.error() == sim::SimError::killed || !self.sleep_for(1ms)) return;
      continue;
    }
    sim::Socket socket = std::move(*opened);
    for (;;) {
      if (!socket.send("ping")) break;
      sim::SimResult<std::string> reply = socket.recv(self.now() + 50ms);
      if (!reply) {
        if (reply.error() == sim::SimError::killed) return;
        break;
      }
    }
  }
}

void BM_NetworkMessages(benchmark::State& state) {
  sim::World world({.seed = 42});
  const sim::ProcessId server = world.add_process({.name = "server", .main = echo_server});
  for (int i = 0; i < kNetClients; ++i) {
    world.add_process({.name = "client-" + std::to_string(i),
                       .main = [server](sim::Process& p) { ping_client(p, server); }});
  }
  world.run_for(1ms);  // connections established
  baseline_yields_per_second();  // measured now, not inside the timed loop
  const std::uint64_t events_before = world.events_processed();
  const std::uint64_t delivered_before = world.trace().count(sim::TraceKind::deliver);
  const LoopClock loop_clock;
  for (auto _ : state) {
    const sim::RunResult r = world.run_for(10ms);
    if (r.status != sim::RunStatus::reached_time) {
      state.SkipWithError(("world stopped: " + std::string(sim::name_of(r.status)) + " " +
                           r.detail).c_str());
      break;
    }
  }
  const std::uint64_t delivered = world.trace().count(sim::TraceKind::deliver) - delivered_before;
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  report_world_events(state, world.events_processed() - events_before, loop_clock.seconds());
}
BENCHMARK(BM_NetworkMessages)->UseRealTime();

// Simulated Redis: kRedisClients client processes, each looping the lock
// commands an algorithm sends — SET key token NX PX ttl, then the release
// script by EVALSHA — against one simulated node over the default 100µs
// latency. Counts commands answered per second of real time.
constexpr int kRedisClients = 16;
constexpr const char* kReleaseScript =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

void lock_client(sim::Process& self, sim::ProcessId node, std::uint64_t& commands, int id) {
  sim::redis::Client client(self, node);
  const auto loaded = client.call({"SCRIPT", "LOAD", kReleaseScript}, self.now() + 1s);
  if (!loaded || loaded->type != sim::redis::ReplyType::bulk) return;
  const std::string sha = loaded->str;
  const std::string key = "lock-" + std::to_string(id % 4);
  const std::string token = "token-" + std::to_string(id);
  for (;;) {
    auto acquired = client.call({"SET", key, token, "NX", "PX", "10000"}, self.now() + 50ms);
    if (!acquired) return;
    ++commands;
    auto released = client.call({"EVALSHA", sha, "1", key, token}, self.now() + 50ms);
    if (!released) return;
    ++commands;
  }
}

void BM_RedisLockCommands(benchmark::State& state) {
  sim::World world({.seed = 42});
  const sim::ProcessId node = world.add_process(sim::redis::redis_server("redis"));
  std::uint64_t commands = 0;
  for (int i = 0; i < kRedisClients; ++i) {
    world.add_process({.name = "client-" + std::to_string(i),
                       .main = [node, &commands, i](sim::Process& p) {
                         lock_client(p, node, commands, i);
                       }});
  }
  world.run_for(5ms);  // connected, script loaded
  if (commands == 0) {
    state.SkipWithError("the lock clients are not running (is EVALSHA available?)");
    return;
  }
  baseline_yields_per_second();
  const std::uint64_t before = commands;
  const std::uint64_t events_before = world.events_processed();
  const LoopClock loop_clock;
  for (auto _ : state) world.run_for(10ms);
  state.SetItemsProcessed(static_cast<std::int64_t>(commands - before));
  state.counters["commands_per_second"] =
      benchmark::Counter(static_cast<double>(commands - before), benchmark::Counter::kIsRate);
  report_world_events(state, world.events_processed() - events_before, loop_clock.seconds());
}
BENCHMARK(BM_RedisLockCommands)->UseRealTime();

}  // namespace
