// The production library against real local redis-servers, with same-run
// baselines. The client runs on core 0, the servers on core 1
// (bench/real/servers.hpp); the cases are in bench/real/cases.hpp:
//
//   single_locklab   lock::SingleNodeLock over hiredis::Backend, one key,
//                    uncontended: acquire + release
//   single_hiredis   plain hiredis 0.14, blocking redisContext: the same
//                    SET NX PX and EVALSHA of the same script, one getrandom
//                    token per cycle (bench/real/bare_hiredis.hpp)
//   single_redis_py  redis-py 4.3.4's Lock on the same server, in a
//                    persistent /usr/bin/python3 child (bench/real/redis_py.hpp)
//   redlock_locklab  lock::RedLock over hiredis::Backend on 5 servers, with
//                    and without return_early
//   redlock_ppoll    a hand-written ppoll loop over 5 non-blocking sockets,
//                    same commands (bench/real/ppoll_loop.hpp)
//
// Abs/...   one case per benchmark: the absolute figures (cycle_ns, the mean
//           acquire+release; acquire_ns, the median acquire latency).
// Ratio/... two cases alternated turn by turn (A B B A A B ...), so load that
//           comes and goes hits both alike; `ratio` is median(A) / median(B)
//           over the benchmark's turns, of the metric the name says.
// Unless told otherwise it runs 9 repetitions of each benchmark in random
// interleaved order and prints, at the end, the median of each ratio over
// the repetitions (bench/real/ratio_reporter.hpp).
// scripts/bench-real.sh runs it; docs/performance.md has the figures.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "real/affinity.hpp"
#include "real/cases.hpp"
#include "real/ratio_reporter.hpp"
#include "real/servers.hpp"

namespace {

namespace real = locklab::bench_real;
using real::Turn;
using Case = std::function<Turn()>;

constexpr int kClientCore = 0;
constexpr int kServerCore = 1;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// A turn that throws (a failed cycle) ends the benchmark with its message.
bool take_turn(benchmark::State& state, const Case& run, Turn& out) {
  try {
    out = run();
    return true;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return false;
  }
}

void absolute(benchmark::State& state, const Case& run, int cycles_per_turn) {
  std::vector<double> cycle;
  std::vector<double> acquire;
  for (auto _ : state) {
    Turn t;
    if (!take_turn(state, run, t)) break;
    state.SetIterationTime(t.cycle_ns * cycles_per_turn / 1e9);
    cycle.push_back(t.cycle_ns);
    acquire.push_back(t.acquire_ns);
  }
  if (cycle.empty()) return;
  double sum = 0;
  for (double c : cycle) sum += c;
  state.SetItemsProcessed(static_cast<std::int64_t>(cycle.size()) * cycles_per_turn);
  state.counters["cycle_ns"] = sum / static_cast<double>(cycle.size());
  if (acquire.front() > 0) state.counters["acquire_ns"] = median(acquire);
}

// `ratio` = median(A's metric) / median(B's metric); with both metrics,
// acquire latency is `ratio` and the cycle time `cycle_ratio`.
enum class Metric { cycle, acquire };

void paired(benchmark::State& state, const Case& a, const Case& b, Metric metric) {
  std::vector<double> a_cycle, b_cycle, a_acquire, b_acquire;
  bool a_first = true;
  for (auto _ : state) {
    Turn ta;
    Turn tb;
    const bool ok = a_first ? take_turn(state, a, ta) && take_turn(state, b, tb)
                            : take_turn(state, b, tb) && take_turn(state, a, ta);
    if (!ok) break;
    a_first = !a_first;
    a_cycle.push_back(ta.cycle_ns);
    b_cycle.push_back(tb.cycle_ns);
    a_acquire.push_back(ta.acquire_ns);
    b_acquire.push_back(tb.acquire_ns);
  }
  if (a_cycle.empty()) return;
  const double cycle_ratio = median(a_cycle) / median(b_cycle);
  if (metric == Metric::acquire) {
    state.counters["ratio"] = median(a_acquire) / median(b_acquire);
    state.counters["cycle_ratio"] = cycle_ratio;
  } else {
    state.counters["ratio"] = cycle_ratio;
  }
}

void register_all(real::Cases& cases) {
  auto c = [&cases](Turn (real::Cases::*f)()) { return Case([&cases, f] { return (cases.*f)(); }); };
  auto redlock = [&cases](bool ours, bool early) {
    return Case([&cases, ours, early] {
      return ours ? cases.redlock_locklab(early) : cases.redlock_ppoll(early);
    });
  };
  const Case single_locklab = c(&real::Cases::single_locklab);
  const Case single_hiredis = c(&real::Cases::single_hiredis);
  const Case single_redis_py = [&cases] { return cases.single_redis_py(); };

  auto add_absolute = [](const std::string& name, Case run, int cycles_per_turn) {
    benchmark::RegisterBenchmark(name.c_str(), [run, cycles_per_turn](benchmark::State& s) {
      absolute(s, run, cycles_per_turn);
    })->UseManualTime();
  };
  add_absolute("Abs/SingleNode/locklab", single_locklab, 1);
  add_absolute("Abs/SingleNode/hiredis", single_hiredis, 1);
  add_absolute("Abs/SingleNode/redis_py", single_redis_py, real::Cases::kPythonTurn);
  add_absolute("Abs/RedLock5/locklab/early", redlock(true, true), 1);
  add_absolute("Abs/RedLock5/locklab/all", redlock(true, false), 1);
  add_absolute("Abs/RedLock5/ppoll/early", redlock(false, true), 1);
  add_absolute("Abs/RedLock5/ppoll/all", redlock(false, false), 1);

  auto add_pair = [](const std::string& name, Case a, Case b, Metric metric) {
    benchmark::RegisterBenchmark(name.c_str(), [a, b, metric](benchmark::State& s) {
      paired(s, a, b, metric);
    })->UseRealTime();
  };
  // Rates: the baseline's cycle time over ours is our rate over the baseline's.
  add_pair("Ratio/SingleNode/hiredis_over_locklab", single_hiredis, single_locklab, Metric::cycle);
  add_pair("Ratio/SingleNode/hiredis_over_redis_py", single_hiredis, single_redis_py, Metric::cycle);
  add_pair("Ratio/SingleNode/locklab_over_redis_py", single_locklab, single_redis_py, Metric::cycle);
  add_pair("Ratio/RedLock5/locklab_over_ppoll/early", redlock(true, true), redlock(false, true),
           Metric::acquire);
  add_pair("Ratio/RedLock5/locklab_over_ppoll/all", redlock(true, false), redlock(false, false),
           Metric::acquire);
  add_pair("Ratio/RedLock5_over_SingleNode/locklab/early", redlock(true, true), single_locklab,
           Metric::cycle);
  add_pair("Ratio/RedLock5_over_SingleNode/locklab/all", redlock(true, false), single_locklab,
           Metric::cycle);
  add_pair("Ratio/RedLock5_over_SingleNode/baselines/all", redlock(false, false), single_hiredis,
           Metric::cycle);
}

std::vector<real::RatioLine> ratio_lines() {
  return {
      {"Ratio/SingleNode/hiredis_over_locklab", "ratio",
       "single-node rate, locklab / bare hiredis", "(target >= 0.95)"},
      {"Ratio/SingleNode/hiredis_over_redis_py", "ratio",
       "single-node rate, redis-py / bare hiredis", ""},
      {"Ratio/SingleNode/locklab_over_redis_py", "ratio", "single-node rate, redis-py / locklab",
       ""},
      {"Ratio/RedLock5/locklab_over_ppoll/early", "ratio",
       "RedLock5 acquire p50, locklab / ppoll loop, return_early", "(target <= 1.05)"},
      {"Ratio/RedLock5/locklab_over_ppoll/all", "ratio",
       "RedLock5 acquire p50, locklab / ppoll loop, wait for all", "(target <= 1.08)"},
      {"Ratio/RedLock5/locklab_over_ppoll/early", "cycle_ratio",
       "RedLock5 cycle time, locklab / ppoll loop, return_early", ""},
      {"Ratio/RedLock5/locklab_over_ppoll/all", "cycle_ratio",
       "RedLock5 cycle time, locklab / ppoll loop, wait for all", ""},
      {"Ratio/RedLock5_over_SingleNode/locklab/early", "ratio",
       "cycle time, RedLock5 / single-node, locklab, return_early", ""},
      {"Ratio/RedLock5_over_SingleNode/locklab/all", "ratio",
       "cycle time, RedLock5 / single-node, locklab, wait for all", ""},
      {"Ratio/RedLock5_over_SingleNode/baselines/all", "ratio",
       "cycle time, RedLock5 / single-node, ppoll loop / bare hiredis", ""},
  };
}

// Our defaults go first, so that the caller's flags override them. Nine
// repetitions of 2 s: with five of 0.5 s a ratio moved by ±3 % from run to
// run on a quiet machine, as much as the margins the targets leave.
std::vector<char*> with_defaults(int argc, char** argv) {
  static char repetitions[] = "--benchmark_repetitions=9";
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  static char aggregates[] = "--benchmark_display_aggregates_only=true";
  static char min_time[] = "--benchmark_min_time=2";
  std::vector<char*> out = {argv[0], repetitions, interleave, aggregates, min_time};
  out.insert(out.end(), argv + 1, argv + argc);
  out.push_back(nullptr);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args = with_defaults(argc, argv);
  int count = static_cast<int>(args.size()) - 1;
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;
  if (!real::pin_this_thread(kClientCore)) {
    std::fprintf(stderr, "real_lock_bench: cannot pin to core %d\n", kClientCore);
    return 1;
  }
  try {
    const real::Servers servers(real::Cases::kRedLockServers, kServerCore, kClientCore);
    real::Cases cases(servers);
    if (!cases.redis_py_problem().empty()) {
      std::fprintf(stderr, "real_lock_bench: redis-py cases skipped: %s\n",
                   cases.redis_py_problem().c_str());
    }
    register_all(cases);
    real::RatioReporter reporter(ratio_lines());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    // A failed cycle fails the run (test-all's smoke step relies on it); a
    // machine without python3-redis only loses the redis-py rows.
    int failures = 0;
    for (const std::string& f : reporter.failed()) {
      if (!cases.redis_py_problem().empty() && f.find("redis_py") != std::string::npos) continue;
      std::fprintf(stderr, "real_lock_bench: failed: %s\n", f.c_str());
      ++failures;
    }
    if (failures > 0) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "real_lock_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
