// Lock acquire+release cycles per wall-clock second, simulated end to end:
// the real lockimpl algorithms over sim::LockBackend, through the simulated
// network, to simulated redis-server nodes running SET NX PX and the release
// script in embedded Lua. Linked into sim_bench beside BM_BoostYieldPingPong,
// the same-run baseline; docs/performance.md gives the ratio.
//
//   BM_SingleNodeLockCycles   16 clients, each on its own key, one node
//   BM_RedLockCycles          16 clients, each on its own key, 5 masters
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "locklab/lock/redlock.hpp"
#include "locklab/sim/lock_backend.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace {

namespace sim = locklab::sim;
namespace lock = locklab::lock;
using namespace std::chrono_literals;

constexpr int kLockClients = 16;

// The measured part alone, out of line: profile it with
//   valgrind --tool=callgrind --toggle-collect='*measured_run*' ...
// and divide by the `cycles` counter for instructions per cycle.
[[gnu::noinline]] void measured_run(sim::World& world) { world.run_for(10ms); }

template <typename Lock>
void cycle_forever(sim::Process& p, Lock& l, const std::string& key, std::uint64_t& cycles) {
  for (;;) {
    auto got = l.acquire(key, p.now() + 1s);
    if (!got) continue;
    (void)l.release(*got.lease);
    ++cycles;
  }
}

void run_cycles(benchmark::State& state, int masters) {
  sim::World world({.seed = 42});
  std::vector<sim::ProcessId> nodes;
  for (int i = 0; i < masters; ++i) {
    nodes.push_back(world.add_process(sim::redis::redis_server("redis-" + std::to_string(i))));
  }
  std::uint64_t cycles = 0;
  for (int c = 0; c < kLockClients; ++c) {
    world.add_process({.name = "client-" + std::to_string(c), .main = [&, c](sim::Process& p) {
                         sim::LockBackend backend(p, nodes);
                         const std::string key = "lock-" + std::to_string(c);
                         if (masters == 1) {
                           lock::SingleNodeLock<sim::LockBackend> l(backend, {.ttl = 10s});
                           cycle_forever(p, l, key, cycles);
                         } else {
                           lock::RedLock<sim::LockBackend> l(backend, {.ttl = 10s});
                           cycle_forever(p, l, key, cycles);
                         }
                       }});
  }
  world.run_for(10ms);  // connected, scripts loaded
  if (cycles == 0) {
    state.SkipWithError("no lock cycle completed");
    return;
  }
  const std::uint64_t before = cycles;
  for (auto _ : state) measured_run(world);
  state.SetItemsProcessed(static_cast<std::int64_t>(cycles - before));
  state.counters["cycles"] = static_cast<double>(cycles - before);
  state.counters["cycles_per_second"] =
      benchmark::Counter(static_cast<double>(cycles - before), benchmark::Counter::kIsRate);
}

void BM_SingleNodeLockCycles(benchmark::State& state) { run_cycles(state, 1); }
BENCHMARK(BM_SingleNodeLockCycles)->UseRealTime();

void BM_RedLockCycles(benchmark::State& state) { run_cycles(state, 5); }
BENCHMARK(BM_RedLockCycles)->UseRealTime();

}  // namespace
