#include "locklab/sim/fault.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace locklab::sim {

namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

std::string group(const std::vector<ProcessId>& ids) {
  std::vector<std::string> names;
  names.reserve(ids.size());
  for (ProcessId id : ids) names.push_back(fmt::format("p{}", index_of(id)));
  return fmt::format("{}", fmt::join(names, ","));
}

}  // namespace

std::string describe(const FaultAction& action) {
  return std::visit(
      Overloaded{
          [](const ProcessPause& f) { return fmt::format("pause p{}", index_of(f.process)); },
          [](const ProcessResume& f) { return fmt::format("resume p{}", index_of(f.process)); },
          [](const ProcessKill& f) { return fmt::format("kill p{}", index_of(f.process)); },
          [](const MachineCrash& f) { return fmt::format("crash p{}", index_of(f.process)); },
          [](const ProcessRestart& f) { return fmt::format("restart p{}", index_of(f.process)); },
          [](const LinkPartition& f) {
            return fmt::format("partition {} {} {} ({})", group(f.from), f.one_way ? "->" : "<->",
                               group(f.to), f.mode == PartitionMode::hold ? "hold" : "reset");
          },
          [](const LinkHeal& f) {
            return fmt::format("heal {} {} {}", group(f.from), f.one_way ? "->" : "<->",
                               group(f.to));
          },
          [](const MessageDelay& f) {
            return fmt::format("delay next {} message(s) p{} -> p{} by {}", f.count,
                               index_of(f.from), index_of(f.to), format_duration(f.extra));
          },
          [](const ClockJump& f) {
            return fmt::format("clock jump p{} by {}", index_of(f.process),
                               format_duration(f.delta));
          },
          [](const ClockDriftSet& f) {
            return fmt::format("clock drift p{} = {} ppm", index_of(f.process), f.drift_ppm);
          },
          [](const ConnectionReset& f) {
            return fmt::format("reset connections p{} <-> p{}", index_of(f.a), index_of(f.b));
          },
      },
      action);
}

}  // namespace locklab::sim
