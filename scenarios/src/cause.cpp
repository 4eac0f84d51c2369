// cause_classes(): the classes a counterexample blames (cause.hpp).
#include "locklab/scenarios/cause.hpp"

#include <algorithm>
#include <optional>

#include "locklab/scenarios/envelope.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {
namespace {

bool is_client(const Scenario& s, sim::ProcessId p) {
  return sim::index_of(p) >= sim::index_of(client_id(s, 0));
}

// The class a fault starts; nullopt for the end of a pair.
std::optional<FaultClass> class_of(const Scenario& s, const sim::FaultAction& action) {
  return std::visit(
      sim::detail::Overloaded{
          [&](const sim::ProcessPause& f) -> std::optional<FaultClass> {
            return is_client(s, f.process) ? FaultClass::client_pause : FaultClass::server_pause;
          },
          [&](const sim::ProcessKill& f) -> std::optional<FaultClass> {
            return is_client(s, f.process) ? FaultClass::client_crash : FaultClass::server_crash;
          },
          [&](const sim::MachineCrash& f) -> std::optional<FaultClass> {
            return is_client(s, f.process) ? FaultClass::client_crash : FaultClass::server_crash;
          },
          [](const sim::LinkPartition&) -> std::optional<FaultClass> { return FaultClass::partition; },
          [](const sim::ConnectionReset&) -> std::optional<FaultClass> { return FaultClass::partition; },
          [](const sim::MessageDelay&) -> std::optional<FaultClass> { return FaultClass::delay; },
          [](const sim::ClockJump&) -> std::optional<FaultClass> { return FaultClass::clock_jump; },
          [](const sim::ClockDriftSet&) -> std::optional<FaultClass> { return FaultClass::drift; },
          [](const auto&) -> std::optional<FaultClass> { return std::nullopt; },  // resume, restart, heal
      },
      action);
}

}  // namespace

std::int64_t drift_allowance_ppm(const AlgorithmSpec& a) {
  return a.kind == Algorithm::redlock || a.kind == Algorithm::single_node ? a.drift_ppm : 0;
}

bool configured_drift_exceeds_allowance(const Scenario& s) {
  const std::int64_t allowance = drift_allowance_ppm(s.algorithm);
  for (const ClientSpec& c : s.clients) {
    for (const MasterSpec& m : s.cluster.masters) {
      const std::int64_t apart = c.clock.drift_ppm - m.clock.drift_ppm;
      if (apart > allowance || -apart > allowance) return true;
    }
  }
  return false;
}

std::vector<std::string> cause_classes(const Scenario& s) {
  std::vector<FaultClass> classes;
  for (const sim::Fault& f : s.faults) {
    if (const std::optional<FaultClass> c = class_of(s, f.action)) classes.push_back(*c);
  }
  if (!s.failovers.empty()) classes.push_back(FaultClass::failover);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  std::vector<std::string> out;
  for (const FaultClass c : classes) out.emplace_back(name_of(c));
  if (configured_drift_exceeds_allowance(s)) out.emplace_back("drift-config");
  if (out.empty()) out.emplace_back("algorithm");
  return out;
}

}  // namespace locklab::scenarios
