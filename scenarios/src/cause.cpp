// cause_classes(): the classes a counterexample blames (cause.hpp).
#include "locklab/scenarios/cause.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "locklab/scenarios/envelope.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {
namespace {

bool is_client(const Scenario& s, sim::ProcessId p) {
  return sim::index_of(p) >= sim::index_of(client_id(s, 0));
}

// A drift set at true time zero is the clock's rate from the start: what a
// configured drift_ppm says (the generator writes them that way).
bool sets_initial_drift(const sim::Fault& f) {
  return f.at == sim::TrueTime{} && std::holds_alternative<sim::ClockDriftSet>(f.action);
}

// Each process's drift from the start, by id, as configured or set at zero.
std::map<sim::ProcessId, std::int64_t> initial_drifts(const Scenario& s) {
  std::map<sim::ProcessId, std::int64_t> drift;
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) drift[master_id(s, i)] = s.cluster.masters[i].clock.drift_ppm;
  for (std::size_t i = 0; i < s.clients.size(); ++i) drift[client_id(s, i)] = s.clients[i].clock.drift_ppm;
  for (const sim::Fault& f : s.faults) {
    if (!sets_initial_drift(f)) continue;
    const auto& set = std::get<sim::ClockDriftSet>(f.action);
    if (auto it = drift.find(set.process); it != drift.end()) it->second = set.drift_ppm;
  }
  return drift;
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
  const std::map<sim::ProcessId, std::int64_t> drift = initial_drifts(s);
  for (std::size_t c = 0; c < s.clients.size(); ++c) {
    for (std::size_t m = 0; m < s.cluster.masters.size(); ++m) {
      const std::int64_t apart = drift.at(client_id(s, c)) - drift.at(master_id(s, m));
      if (apart > allowance || -apart > allowance) return true;
    }
  }
  return false;
}

std::vector<std::string> cause_classes(const Scenario& s) {
  std::vector<FaultClass> classes;
  for (const sim::Fault& f : s.faults) {
    if (sets_initial_drift(f)) continue;  // configuration, judged below
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
