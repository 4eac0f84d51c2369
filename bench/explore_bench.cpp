// Worlds per wall-clock second for a typical explore case: RedLock over 5
// masters, 5 clients, 20 faults beyond the assumptions, 10 simulated
// seconds — drawn, built, run and judged by every checker, a new seed each
// world (as `locklab explore` does, without shrinking). Target: one world in
// at most 10 ms on one core. Linked into sim_bench beside the same-run
// BM_BoostYieldPingPong baseline; docs/performance.md has the figures.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

#include "locklab/scenarios/generator.hpp"
#include "locklab/scenarios/runner.hpp"

namespace {

namespace scenarios = locklab::scenarios;
using namespace std::chrono_literals;

void explore_worlds(benchmark::State& state, scenarios::Mode mode) {
  const scenarios::GeneratorOptions options{.algorithm = scenarios::Algorithm::redlock, .mode = mode,
                                            .masters = 5, .min_clients = 5, .max_clients = 5,
                                            .faults = 20, .duration = 10s};
  std::uint64_t seed = 0;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const scenarios::Scenario s = scenarios::generate_scenario(seed++, options);
    const scenarios::RunReport r = scenarios::run_scenario(s);
    events += r.run.events;
    benchmark::DoNotOptimize(r.verdicts.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["worlds_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["events_per_world"] =
      static_cast<double>(events) / static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
}

void BM_ExploreWorldRedLockBeyond(benchmark::State& state) { explore_worlds(state, scenarios::Mode::beyond); }
BENCHMARK(BM_ExploreWorldRedLockBeyond)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ExploreWorldRedLockWithin(benchmark::State& state) { explore_worlds(state, scenarios::Mode::within); }
BENCHMARK(BM_ExploreWorldRedLockWithin)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
