#include "locklab/properties/fault_generator.hpp"

#include <algorithm>

#include "draw.hpp"
#include "locklab/assert.hpp"

namespace locklab::properties {
using detail::draw_duration;
using detail::draw_time;
using detail::pick;
using detail::subset;

sim::FaultSchedule within_redlock_assumptions(sim::Rng& rng, const ClusterShape& cluster,
                                              const Envelope& envelope) {
  LOCKLAB_ASSERT(!cluster.masters.empty() && !cluster.clients.empty());
  LOCKLAB_ASSERT_GT(envelope.horizon.count(), 0);
  sim::FaultSchedule faults;
  const std::int64_t half = envelope.drift_factor_ppm / 2;

  // Drift: every process, from the start, within ±half the drift factor.
  std::vector<sim::ProcessId> everyone = cluster.masters;
  everyone.insert(everyone.end(), cluster.clients.begin(), cluster.clients.end());
  for (sim::ProcessId p : everyone) {
    faults.push_back({sim::true_time(sim::Duration(0)), sim::ClockDriftSet{p, rng.between(-half, half)}});
  }

  // Crashes: at most a minority of distinct masters, each once.
  std::vector<sim::ProcessId> candidates = cluster.masters;
  const std::size_t minority = (cluster.masters.size() - 1) / 2;
  const std::size_t crashes = rng.below(minority + 1);
  for (std::size_t i = 0; i < crashes; ++i) {
    const std::size_t k = rng.below(candidates.size());
    const sim::ProcessId node = candidates[k];
    candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(k));
    const sim::TrueTime at = draw_time(rng, envelope.horizon);
    if (rng.chance(1, 2)) {
      faults.push_back({at, sim::MachineCrash{node}});
    } else {
      faults.push_back({at, sim::ProcessKill{node}});
    }
    faults.push_back({at + draw_duration(rng, sim::Duration(0), std::chrono::seconds(2)),
                      sim::ProcessRestart{node}});
  }

  // Partitions of any shape between clients and masters, healed later or never.
  for (int i = 0; i < envelope.partitions; ++i) {
    const bool clients_first = rng.chance(1, 2);
    std::vector<sim::ProcessId> from = subset(rng, clients_first ? cluster.clients : cluster.masters);
    std::vector<sim::ProcessId> to = subset(rng, clients_first ? cluster.masters : cluster.clients);
    const bool one_way = rng.chance(1, 2);
    const sim::PartitionMode mode = rng.chance(1, 2) ? sim::PartitionMode::hold : sim::PartitionMode::reset;
    const sim::TrueTime at = draw_time(rng, envelope.horizon);
    faults.push_back({at, sim::LinkPartition{from, to, one_way, mode}});
    if (rng.chance(3, 4)) {
      faults.push_back({at + draw_duration(rng, std::chrono::milliseconds(1), std::chrono::seconds(3)),
                        sim::LinkHeal{from, to, one_way}});
    }
  }

  // Message delays of any length, either direction.
  for (int i = 0; i < envelope.delays; ++i) {
    sim::ProcessId a = pick(rng, cluster.clients);
    sim::ProcessId b = pick(rng, cluster.masters);
    if (rng.chance(1, 2)) std::swap(a, b);
    faults.push_back({draw_time(rng, envelope.horizon),
                      sim::MessageDelay{a, b, draw_duration(rng, sim::Duration(1), envelope.max_delay),
                                        static_cast<std::uint32_t>(1 + rng.below(3))}});
  }

  std::stable_sort(faults.begin(), faults.end(),
                   [](const sim::Fault& x, const sim::Fault& y) { return x.at < y.at; });
  return faults;
}

}  // namespace locklab::properties
