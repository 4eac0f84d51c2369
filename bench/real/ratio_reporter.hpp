// bench/real/ratio_reporter.hpp — Google Benchmark's console output plus, at
// the end, one line per ratio docs/performance.md reports: the median, over
// the repetitions, of a counter of a Ratio/ benchmark (the single run's
// value when there is one repetition).
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace locklab::bench_real {

struct RatioLine {
  std::string benchmark;  // a Ratio/... benchmark's name
  std::string counter;    // "ratio", or another counter of that benchmark
  std::string label;
  std::string target;     // printed beside the figure, e.g. ">= 0.95"
};

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  explicit RatioReporter(std::vector<RatioLine> lines) : lines_(std::move(lines)) {}
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;
  // The benchmarks that ended with an error (a case's cycle failed).
  const std::vector<std::string>& failed() const { return failed_; }

 private:
  std::vector<RatioLine> lines_;
  // benchmark name → counter → value
  std::map<std::string, std::map<std::string, double>> ratios_;
  std::map<std::string, bool> from_median_;
  std::vector<std::string> failed_;
};

}  // namespace locklab::bench_real
