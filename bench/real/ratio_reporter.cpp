#include "ratio_reporter.hpp"

#include <cstdio>
#include <fstream>

namespace locklab::bench_real {

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred) {
      failed_.push_back(run.benchmark_name() + ": " + run.error_message);
      continue;
    }
    if (!run.counters.contains("ratio")) continue;
    const std::string name = run.run_name.function_name;
    const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
    // A median, once seen, wins over any single run of the same name.
    if (!(median || (single && !from_median_[name]))) continue;
    from_median_[name] = median;
    for (const auto& [counter, value] : run.counters) ratios_[name][counter] = value.value;
  }
}

void RatioReporter::Finalize() {
  ConsoleReporter::Finalize();
  std::ifstream loadavg("/proc/loadavg");
  std::string load1, load5, load15;
  loadavg >> load1 >> load5 >> load15;
  std::printf("\nRatios (load average at the end: %s %s %s)\n", load1.c_str(), load5.c_str(),
              load15.c_str());
  for (const RatioLine& line : lines_) {
    const auto found = ratios_.find(line.benchmark);
    if (found == ratios_.end() || !found->second.contains(line.counter)) {
      std::printf("  %-62s     n/a (did not run)\n", line.label.c_str());
    } else {
      std::printf("  %-62s  %6.3f  %s\n", line.label.c_str(), found->second.at(line.counter),
                  line.target.c_str());
    }
  }
  std::fflush(stdout);
}

}  // namespace locklab::bench_real
