// The checkers on a 1,000,000-operation valid history (250,000 grants over
// 100 keys and 8 clients, with writes, releases and refused rivals; built by
// tests/properties/generated_history.hpp, outside the timed loop).
//
//   BM_CheckMutualExclusion, BM_CheckResourceSafety, BM_CheckLiveness,
//   BM_CheckTokenHygiene    one checker each, once per iteration
//   BM_CheckAll             all four, as a scenario run does
//
// Each reports `ops_per_second` (history operations checked per second of
// real time). The issue asks for a million operations in seconds; every
// checker is O(n log n).
#include <benchmark/benchmark.h>

#include "generated_history.hpp"
#include "locklab/properties/liveness.hpp"
#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"
#include "locklab/properties/token_hygiene.hpp"

namespace {

namespace properties = locklab::properties;
using namespace std::chrono_literals;

constexpr std::size_t kOperations = 1'000'000;

const properties::testing::GeneratedRun& run() {
  static const properties::testing::GeneratedRun r = properties::testing::generated_run(kOperations);
  return r;
}

properties::LivenessInput liveness_input() {
  return {.bounds = {.ttl = 1s, .drift_allowance = 10ms, .retry_delay_max = 5ms,
                     .attempt_max = 1ms, .think_max = 1ms},
          .run_end = run().end};
}

template <typename Check>
void bench(benchmark::State& state, Check check) {
  const auto& r = run();
  for (auto _ : state) {
    const properties::Verdict v = check(r);
    if (v.kind != properties::Verdict::Kind::ok) state.SkipWithError(v.summary.c_str());
    benchmark::DoNotOptimize(v);
  }
  state.counters["ops_per_second"] = benchmark::Counter(
      static_cast<double>(kOperations), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_CheckMutualExclusion(benchmark::State& state) {
  bench(state, [](const auto& r) { return properties::check_mutual_exclusion(r.history); });
}
void BM_CheckResourceSafety(benchmark::State& state) {
  bench(state, [](const auto& r) { return properties::check_resource_safety(r.history, r.log); });
}
void BM_CheckLiveness(benchmark::State& state) {
  const properties::LivenessInput in = liveness_input();
  bench(state, [&](const auto& r) { return properties::check_liveness(r.history, in); });
}
void BM_CheckTokenHygiene(benchmark::State& state) {
  bench(state, [](const auto& r) { return properties::check_token_hygiene(r.history); });
}
void BM_CheckAll(benchmark::State& state) {
  const properties::LivenessInput in = liveness_input();
  bench(state, [&](const auto& r) {
    for (properties::Verdict v : {properties::check_mutual_exclusion(r.history),
                                  properties::check_resource_safety(r.history, r.log),
                                  properties::check_liveness(r.history, in)}) {
      if (v.kind != properties::Verdict::Kind::ok) return v;
    }
    return properties::check_token_hygiene(r.history);
  });
}

BENCHMARK(BM_CheckMutualExclusion)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckResourceSafety)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckLiveness)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckTokenHygiene)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CheckAll)->Unit(benchmark::kMillisecond);

}  // namespace
