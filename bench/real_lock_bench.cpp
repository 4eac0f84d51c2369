// The production library against real local redis-servers, with same-run
// baselines, as ratios of medians (bench/real/ratio_reporter.hpp). The
// client runs on core 0 and the servers on core 1 (bench/real/servers.hpp).
//
//   SingleNode/locklab     lock::SingleNodeLock over hiredis::Backend, one
//                          key, uncontended: acquire + release
//   SingleNode/hiredis     plain hiredis 0.14, blocking redisContext: the
//                          same SET NX PX and EVALSHA of the same script,
//                          one getrandom token per cycle (bench/real/bare_hiredis.hpp)
//   SingleNode/redis_py    redis-py 4.3.4's Lock on the same server, in a
//                          persistent /usr/bin/python3 child (bench/real/redis_py.hpp)
//   RedLock5/locklab/early:E   lock::RedLock over hiredis::Backend on 5
//                          servers, return_early = E
//   RedLock5/ppoll/early:E     a hand-written ppoll loop over 5 non-blocking
//                          sockets, same commands (bench/real/ppoll_loop.hpp)
//
// Every case reports `cycle_ns` (acquire + release) and the RedLock cases
// also `acquire_ns`, the median acquire latency within the repetition.
// Unless told otherwise on the command line, it runs 15 repetitions of each
// case in random interleaved order (Google Benchmark's
// --benchmark_enable_random_interleaving), so load that comes and goes hits
// all of them alike, and prints the ratios of their medians at the end.
// scripts/bench-real.sh runs it; docs/performance.md has the figures.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/lock/redlock.hpp"
#include "real/affinity.hpp"
#include "real/bare_hiredis.hpp"
#include "real/ppoll_loop.hpp"
#include "real/ratio_reporter.hpp"
#include "real/redis_py.hpp"
#include "real/servers.hpp"
#include "real/token.hpp"

namespace {

namespace lock = locklab::lock;
namespace hiredis = locklab::hiredis;
namespace real = locklab::bench_real;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kClientCore = 0;
constexpr int kServerCore = 1;
constexpr std::size_t kRedLockServers = 5;
constexpr int kPythonBatch = 200;  // cycles per request to the child

double ns_since(Clock::time_point start) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

double median(std::vector<double>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

void report(benchmark::State& state, double total_ns, std::int64_t cycles,
            std::vector<double>* acquire_samples = nullptr) {
  if (cycles == 0) return;
  state.SetItemsProcessed(cycles);
  state.counters["cycle_ns"] = total_ns / static_cast<double>(cycles);
  if (acquire_samples != nullptr) state.counters["acquire_ns"] = median(*acquire_samples);
}

std::vector<hiredis::Endpoint> endpoints(const real::Servers& servers, std::size_t count) {
  std::vector<hiredis::Endpoint> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back({.port = servers.port(i)});
  return out;
}

// Everything the cases share, set up once: servers, backends, baselines.
struct Context {
  explicit Context(const real::Servers& servers)
      : single_backend(endpoints(servers, 1)),
        redlock_backend(endpoints(servers, kRedLockServers)),
        bare(servers.port(0)),
        loop(servers.ports()) {
    try {
      py.emplace(servers.port(0), "bench:py");
    } catch (const std::exception& e) {
      py_problem = e.what();
    }
  }
  hiredis::Backend single_backend;
  hiredis::Backend redlock_backend;
  real::BareHiredis bare;
  real::PpollLoop loop;
  std::optional<real::RedisPy> py;
  std::string py_problem;
};

// One locklab acquire+release; the acquire's latency into `acquire_ns`.
template <typename Lock>
bool locklab_cycle(Lock& l, hiredis::Backend& backend, const std::string& key, double& acquire_ns) {
  const auto start = Clock::now();
  auto got = l.acquire(key, backend.now() + 1s);
  acquire_ns = ns_since(start);
  if (!got) return false;
  return l.release(*got.lease).outcome == lock::Outcome::released;
}

void single_locklab(benchmark::State& state, Context& ctx) {
  lock::SingleNodeLock<hiredis::Backend> l(ctx.single_backend, {.ttl = 10s});
  const std::string key = "bench:locklab";
  double ignored = 0;
  if (!locklab_cycle(l, ctx.single_backend, key, ignored)) state.SkipWithError("warm-up cycle failed");
  std::int64_t cycles = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    if (!locklab_cycle(l, ctx.single_backend, key, ignored)) {
      state.SkipWithError("a locklab cycle failed");
      break;
    }
    ++cycles;
  }
  report(state, ns_since(start), cycles);
}

void single_hiredis(benchmark::State& state, Context& ctx) {
  const std::string key = "bench:hiredis";
  std::int64_t cycles = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    if (!ctx.bare.cycle(key)) {
      state.SkipWithError("a bare hiredis cycle failed");
      break;
    }
    ++cycles;
  }
  report(state, ns_since(start), cycles);
}

void single_redis_py(benchmark::State& state, Context& ctx) {
  if (!ctx.py) {
    state.SkipWithError(ctx.py_problem.c_str());
    return;
  }
  std::int64_t cycles = 0;
  double total_ns = 0;
  for (auto _ : state) {
    const std::int64_t ns = ctx.py->run(kPythonBatch);
    state.SetIterationTime(static_cast<double>(ns) / 1e9);
    total_ns += static_cast<double>(ns);
    cycles += kPythonBatch;
  }
  report(state, total_ns, cycles);
}

void redlock_locklab(benchmark::State& state, Context& ctx, bool early) {
  lock::RedLock<hiredis::Backend> l(ctx.redlock_backend, {.ttl = 10s, .return_early = early});
  const std::string key = early ? "bench:locklab:early" : "bench:locklab:all";
  double acquire_ns = 0;
  if (!locklab_cycle(l, ctx.redlock_backend, key, acquire_ns)) state.SkipWithError("warm-up cycle failed");
  std::vector<double> samples;
  std::int64_t cycles = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    if (!locklab_cycle(l, ctx.redlock_backend, key, acquire_ns)) {
      state.SkipWithError("a locklab RedLock cycle failed");
      break;
    }
    samples.push_back(acquire_ns);
    ++cycles;
  }
  report(state, ns_since(start), cycles, &samples);
}

void redlock_ppoll(benchmark::State& state, Context& ctx, bool early) {
  const std::string key = early ? "bench:ppoll:early" : "bench:ppoll:all";
  std::vector<double> samples;
  std::int64_t cycles = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    const auto acquire_start = Clock::now();
    const real::Token token = real::fresh_token();
    const std::string_view t(token.data(), token.size());
    const bool acquired = ctx.loop.acquire(key, t, early);
    samples.push_back(ns_since(acquire_start));
    if (!acquired || !ctx.loop.release(key, t)) {
      state.SkipWithError("a ppoll loop cycle failed");
      break;
    }
    ++cycles;
  }
  report(state, ns_since(start), cycles, &samples);
}

std::vector<real::Ratio> ratios() {
  return {
      {"single-node rate, locklab / bare hiredis", "SingleNode/hiredis", "SingleNode/locklab",
       "cycle_ns", "(target >= 0.95)"},
      {"single-node rate, redis-py / bare hiredis", "SingleNode/hiredis", "SingleNode/redis_py",
       "cycle_ns", ""},
      {"single-node rate, redis-py / locklab", "SingleNode/locklab", "SingleNode/redis_py",
       "cycle_ns", ""},
      {"RedLock5 acquire p50, locklab / ppoll loop, return_early", "RedLock5/locklab/early:1",
       "RedLock5/ppoll/early:1", "acquire_ns", "(target <= 1.05)"},
      {"RedLock5 acquire p50, locklab / ppoll loop, wait for all", "RedLock5/locklab/early:0",
       "RedLock5/ppoll/early:0", "acquire_ns", "(target <= 1.08)"},
      {"RedLock5 cycle, locklab / ppoll loop, return_early", "RedLock5/locklab/early:1",
       "RedLock5/ppoll/early:1", "cycle_ns", ""},
      {"RedLock5 cycle, locklab / ppoll loop, wait for all", "RedLock5/locklab/early:0",
       "RedLock5/ppoll/early:0", "cycle_ns", ""},
      {"RedLock5 cycle / single-node cycle, locklab, return_early", "RedLock5/locklab/early:1",
       "SingleNode/locklab", "cycle_ns", ""},
      {"RedLock5 cycle / single-node cycle, locklab, wait for all", "RedLock5/locklab/early:0",
       "SingleNode/locklab", "cycle_ns", ""},
      {"RedLock5 cycle / single-node cycle, baselines, wait for all", "RedLock5/ppoll/early:0",
       "SingleNode/hiredis", "cycle_ns", ""},
  };
}

void register_cases(Context& ctx) {
  benchmark::RegisterBenchmark("SingleNode/locklab", [&ctx](benchmark::State& s) { single_locklab(s, ctx); })->UseRealTime();
  benchmark::RegisterBenchmark("SingleNode/hiredis", [&ctx](benchmark::State& s) { single_hiredis(s, ctx); })->UseRealTime();
  benchmark::RegisterBenchmark("SingleNode/redis_py", [&ctx](benchmark::State& s) { single_redis_py(s, ctx); })->UseManualTime();
  for (const bool early : {true, false}) {
    const std::string suffix = early ? "/early:1" : "/early:0";
    benchmark::RegisterBenchmark(("RedLock5/locklab" + suffix).c_str(),
                                 [&ctx, early](benchmark::State& s) { redlock_locklab(s, ctx, early); })->UseRealTime();
    benchmark::RegisterBenchmark(("RedLock5/ppoll" + suffix).c_str(),
                                 [&ctx, early](benchmark::State& s) { redlock_ppoll(s, ctx, early); })->UseRealTime();
  }
}

// Our defaults go first, so that the caller's flags override them.
std::vector<char*> with_defaults(int argc, char** argv) {
  static char repetitions[] = "--benchmark_repetitions=15";
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  static char aggregates[] = "--benchmark_display_aggregates_only=true";
  static char min_time[] = "--benchmark_min_time=0.2";
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
    const real::Servers servers(kRedLockServers, kServerCore, kClientCore);
    Context ctx(servers);
    register_cases(ctx);
    real::RatioReporter reporter(ratios());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "real_lock_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
