// client_crashes(): a schedule's kills and crashes of clients, for liveness.
#include "locklab/scenarios/client_crashes.hpp"

#include <algorithm>
#include <variant>

namespace locklab::scenarios {

std::vector<properties::ClientCrash> client_crashes(const sim::FaultSchedule& schedule,
                                                    std::span<const sim::ProcessId> clients) {
  std::vector<properties::ClientCrash> out;
  const auto is_client = [&](sim::ProcessId p) {
    return std::find(clients.begin(), clients.end(), p) != clients.end();
  };
  for (const sim::Fault& f : schedule) {
    if (const auto* k = std::get_if<sim::ProcessKill>(&f.action); k && is_client(k->process)) {
      out.push_back({k->process, f.at});
    } else if (const auto* c = std::get_if<sim::MachineCrash>(&f.action);
               c && is_client(c->process)) {
      out.push_back({c->process, f.at});
    }
  }
  return out;
}

}  // namespace locklab::scenarios
