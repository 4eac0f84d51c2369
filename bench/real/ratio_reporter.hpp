// bench/real/ratio_reporter.hpp — Google Benchmark's console output plus,
// at the end, the ratios docs/performance.md reports, each computed from
// the same run's per-benchmark medians (the `median` aggregate over the
// repetitions when there are several, the single run's value otherwise).
//
// Each benchmark reports its figures as user counters: `cycle_ns` (one
// acquire+release) and, for RedLock, `acquire_ns` (the median acquire
// latency within the repetition). A Ratio names two benchmarks and a counter;
// it prints numerator / denominator, so `rate ratios` list the baseline first
// (its time over ours is our rate over its).
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace locklab::bench_real {

struct Ratio {
  std::string label;
  std::string numerator;    // benchmark name
  std::string denominator;  // benchmark name
  std::string counter;
  std::string target;       // printed beside the figure, e.g. ">= 0.95"
};

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::vector<Ratio> ratios) : ratios_(std::move(ratios)) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  std::vector<Ratio> ratios_;
  // benchmark name → counter → value (the median where there is one).
  std::map<std::string, std::map<std::string, double>> medians_;
  std::map<std::string, bool> from_aggregate_;
};

}  // namespace locklab::bench_real
