#include "ratio_reporter.hpp"

#include <cstdio>
#include <fstream>

namespace locklab::bench_real {

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    const std::string name = run.run_name.function_name + run.run_name.args;
    const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
    // A median, once seen, wins over any single run of the same name.
    if (!(median || (single && !from_aggregate_[name]))) continue;
    from_aggregate_[name] = median;
    for (const auto& [counter, value] : run.counters) medians_[name][counter] = value.value;
  }
}

void RatioReporter::Finalize() {
  ConsoleReporter::Finalize();
  std::ifstream loadavg("/proc/loadavg");
  std::string load1, load5, load15;
  loadavg >> load1 >> load5 >> load15;
  std::printf("\nRatios of same-run medians (load average at the end: %s %s %s)\n",
              load1.c_str(), load5.c_str(), load15.c_str());
  for (const Ratio& r : ratios_) {
    const auto num = medians_.find(r.numerator);
    const auto den = medians_.find(r.denominator);
    if (num == medians_.end() || den == medians_.end() || !num->second.contains(r.counter) ||
        !den->second.contains(r.counter) || den->second.at(r.counter) == 0) {
      std::printf("  %-58s  n/a (a benchmark did not run)\n", r.label.c_str());
      continue;
    }
    const double value = num->second.at(r.counter) / den->second.at(r.counter);
    std::printf("  %-58s  %6.3f  %s\n", r.label.c_str(), value, r.target.c_str());
  }
  std::fflush(stdout);
}

}  // namespace locklab::bench_real
