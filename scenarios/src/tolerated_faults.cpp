// Faults confined to a minority of RedLock's masters (tolerated_faults.hpp).
#include "tolerated_faults.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {

namespace {

bool contains(const std::vector<sim::ProcessId>& v, sim::ProcessId p) {
  return std::find(v.begin(), v.end(), p) != v.end();
}

// The masters among `named`, if every other process named is a client.
std::optional<std::vector<sim::ProcessId>> masters_among(const std::vector<sim::ProcessId>& named,
                                                         const std::vector<sim::ProcessId>& masters,
                                                         const std::vector<sim::ProcessId>& clients) {
  std::vector<sim::ProcessId> hit;
  for (const sim::ProcessId p : named) {
    if (contains(masters, p)) {
      if (!contains(hit, p)) hit.push_back(p);
    } else if (!contains(clients, p)) {
      return std::nullopt;
    }
  }
  if (hit.empty()) return std::nullopt;
  return hit;
}

// The same for both sides of a partition or a heal.
std::optional<std::vector<sim::ProcessId>> masters_across(const std::vector<sim::ProcessId>& from,
                                                          const std::vector<sim::ProcessId>& to,
                                                          const std::vector<sim::ProcessId>& masters,
                                                          const std::vector<sim::ProcessId>& clients) {
  std::vector<sim::ProcessId> named = from;
  named.insert(named.end(), to.begin(), to.end());
  return masters_among(named, masters, clients);
}

}  // namespace

std::optional<std::vector<sim::ProcessId>> masters_only(const sim::Fault& f,
                                                        const std::vector<sim::ProcessId>& masters,
                                                        const std::vector<sim::ProcessId>& clients) {
  return std::visit(
      sim::detail::Overloaded{
          [&](const sim::ProcessPause& p) { return masters_among({p.process}, masters, {}); },
          [&](const sim::ProcessKill& k) { return masters_among({k.process}, masters, {}); },
          [&](const sim::MachineCrash& k) { return masters_among({k.process}, masters, {}); },
          [&](const sim::LinkPartition& p) { return masters_across(p.from, p.to, masters, clients); },
          // The records that end those: part of the same fault.
          [&](const sim::ProcessResume& p) { return masters_among({p.process}, masters, {}); },
          [&](const sim::ProcessRestart& p) { return masters_among({p.process}, masters, {}); },
          [&](const sim::LinkHeal& h) { return masters_across(h.from, h.to, masters, clients); },
          [&](const sim::MessageDelay& d) { return masters_among({d.from, d.to}, masters, clients); },
          [&](const auto&) -> std::optional<std::vector<sim::ProcessId>> { return std::nullopt; },
      },
      f.action);
}

sim::TrueTime last_overload_end(const std::vector<MasterOutage>& outages, std::size_t tolerable) {
  std::set<sim::TrueTime> edges;
  for (const MasterOutage& o : outages) {
    edges.insert(o.from);
    edges.insert(o.until);
  }
  sim::TrueTime end{};
  // Between two consecutive edges the set of touched masters is constant.
  for (auto it = edges.begin(); it != edges.end() && std::next(it) != edges.end(); ++it) {
    const sim::TrueTime from = *it;
    const sim::TrueTime to = *std::next(it);
    std::set<sim::ProcessId> touched;
    for (const MasterOutage& o : outages) {
      if (o.from <= from && to <= o.until) touched.insert(o.master);
    }
    if (touched.size() > tolerable) end = to;
  }
  return end;
}

}  // namespace locklab::scenarios
