#include "locklab/sim/fault.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "locklab/sim/clock.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::sim {

namespace {

using detail::Overloaded;

}  // namespace

std::optional<std::size_t> ending_fault(const FaultSchedule& schedule, std::size_t i) {
  const auto ends = [&](const FaultAction& later) {
    return std::visit(
        Overloaded{
            [&](const ProcessPause& p) {
              const auto* r = std::get_if<ProcessResume>(&later);
              return r != nullptr && r->process == p.process;
            },
            [&](const ProcessKill& k) {
              const auto* r = std::get_if<ProcessRestart>(&later);
              return r != nullptr && r->process == k.process;
            },
            [&](const MachineCrash& k) {
              const auto* r = std::get_if<ProcessRestart>(&later);
              return r != nullptr && r->process == k.process;
            },
            [&](const LinkPartition& p) {
              const auto* h = std::get_if<LinkHeal>(&later);
              return h != nullptr && h->from == p.from && h->to == p.to && h->one_way == p.one_way;
            },
            [](const auto&) { return false; },
        },
        schedule[i].action);
  };
  for (std::size_t j = i + 1; j < schedule.size(); ++j) {
    if (ends(schedule[j].action)) return j;
  }
  return std::nullopt;
}

std::string problem_of(const FaultAction& action) {
  // A heal with an empty side heals nothing, and is harmless; a partition
  // with one would cut nothing while claiming to.
  return std::visit(
      Overloaded{
          [](const LinkPartition& f) -> std::string {
            if (f.from.empty()) return "from: must name at least one process";
            if (f.to.empty()) return "to: must name at least one process";
            return {};
          },
          [](const MessageDelay& f) -> std::string {
            if (f.extra.count() < 0) return "extra: must not be negative";
            if (f.count == 0) return "count: must be at least 1 (a delay of no message does nothing)";
            return {};
          },
          [](const ClockDriftSet& f) -> std::string {
            if (f.drift_ppm <= -kPpmScale || f.drift_ppm > 10 * kPpmScale) {
              return fmt::format("drift_ppm: {} is out of range (-1000000, 10000000]", f.drift_ppm);
            }
            return {};
          },
          [](const auto&) { return std::string{}; },
      },
      action);
}

std::string describe(const FaultAction& action,
                     const std::function<std::string(ProcessId)>& name_of_process) {
  auto p = [&](ProcessId id) {
    return name_of_process ? name_of_process(id) : fmt::format("p{}", index_of(id));
  };
  auto group = [&](const std::vector<ProcessId>& ids) {
    std::vector<std::string> names;
    names.reserve(ids.size());
    for (ProcessId id : ids) names.push_back(p(id));
    return fmt::format("{}", fmt::join(names, ","));
  };
  return std::visit(
      Overloaded{
          [&](const ProcessPause& f) { return "pause " + p(f.process); },
          [&](const ProcessResume& f) { return "resume " + p(f.process); },
          [&](const ProcessKill& f) { return "kill " + p(f.process); },
          [&](const MachineCrash& f) { return "crash " + p(f.process); },
          [&](const ProcessRestart& f) { return "restart " + p(f.process); },
          [&](const LinkPartition& f) {
            return fmt::format("partition {} {} {} ({})", group(f.from), f.one_way ? "->" : "<->",
                               group(f.to), f.mode == PartitionMode::hold ? "hold" : "reset");
          },
          [&](const LinkHeal& f) {
            return fmt::format("heal {} {} {}", group(f.from), f.one_way ? "->" : "<->",
                               group(f.to));
          },
          [&](const MessageDelay& f) {
            return fmt::format("delay next {} message(s) {} -> {} by {}", f.count, p(f.from),
                               p(f.to), format_duration(f.extra));
          },
          [&](const ClockJump& f) {
            return fmt::format("clock jump {} by {}", p(f.process), format_duration(f.delta));
          },
          [&](const ClockDriftSet& f) {
            return fmt::format("clock drift {} = {} ppm", p(f.process), f.drift_ppm);
          },
          [&](const ConnectionReset& f) {
            return fmt::format("reset connections {} <-> {}", p(f.a), p(f.b));
          },
      },
      action);
}

}  // namespace locklab::sim
