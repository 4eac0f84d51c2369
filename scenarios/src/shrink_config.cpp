// Removing processes from a scenario for the shrinker (shrink_config.hpp,
// shrink.hpp).
#include "shrink_config.hpp"

#include "locklab/scenarios/shrink.hpp"

#include <algorithm>
#include <optional>

#include "locklab/assert.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios::detail {
namespace {

// The id `p` has once process `gone` is removed (ids above it move down).
sim::ProcessId renumbered(sim::ProcessId p, sim::ProcessId gone) {
  return sim::index_of(p) > sim::index_of(gone) ? sim::ProcessId{sim::index_of(p) - 1} : p;
}

// Drops `gone` from a side; renumbers ids above it.
std::vector<sim::ProcessId> without(const std::vector<sim::ProcessId>& side, sim::ProcessId gone) {
  std::vector<sim::ProcessId> out;
  for (const sim::ProcessId p : side) {
    if (p != gone) out.push_back(renumbered(p, gone));
  }
  return out;
}

std::optional<sim::FaultAction> action_without(const sim::FaultAction& action, sim::ProcessId gone) {
  const auto renumber = [gone](sim::ProcessId p) { return renumbered(p, gone); };
  return std::visit(
      sim::detail::Overloaded{
          [&](const sim::LinkPartition& p) -> std::optional<sim::FaultAction> {
            sim::LinkPartition q{without(p.from, gone), without(p.to, gone), p.one_way, p.mode};
            if (q.from.empty() || q.to.empty()) return std::nullopt;
            return q;
          },
          [&](const sim::LinkHeal& h) -> std::optional<sim::FaultAction> {
            sim::LinkHeal q{without(h.from, gone), without(h.to, gone), h.one_way};
            if (q.from.empty() || q.to.empty()) return std::nullopt;
            return q;
          },
          [&](const sim::MessageDelay& d) -> std::optional<sim::FaultAction> {
            if (d.from == gone || d.to == gone) return std::nullopt;
            return sim::MessageDelay{renumber(d.from), renumber(d.to), d.extra, d.count};
          },
          [&](const sim::ConnectionReset& r) -> std::optional<sim::FaultAction> {
            if (r.a == gone || r.b == gone) return std::nullopt;
            return sim::ConnectionReset{renumber(r.a), renumber(r.b)};
          },
          [&](auto single) -> std::optional<sim::FaultAction> {
            if (single.process == gone) return std::nullopt;
            single.process = renumber(single.process);
            return single;
          },
      },
      action);
}

}  // namespace

sim::FaultSchedule faults_without(const sim::FaultSchedule& faults, sim::ProcessId gone) {
  sim::FaultSchedule out;
  for (const sim::Fault& f : faults) {
    if (std::optional<sim::FaultAction> kept = action_without(f.action, gone)) out.push_back({f.at, std::move(*kept)});
  }
  return out;
}

void drop_cluster_extras_of(Scenario& s, const std::string& gone) {
  std::erase_if(s.cluster.presets, [&](const PresetSpec& p) { return p.node == gone; });
  std::erase_if(s.cluster.links, [&](const LinkSpec& l) { return l.a == gone || l.b == gone; });
}

bool quorum_is_majority(const Scenario& s) {
  if (!s.algorithm.quorum) return true;
  const std::size_t n = s.cluster.masters.size();
  return *s.algorithm.quorum <= n && 2 * *s.algorithm.quorum > n;
}

}  // namespace locklab::scenarios::detail

namespace locklab::scenarios {
namespace {

void drop_failovers_of(Scenario& s, const std::string& master) {
  std::erase_if(s.failovers, [&](const Failover& f) { return f.master == master; });
}

}  // namespace

Scenario without_master(const Scenario& s, std::size_t index) {
  LOCKLAB_ASSERT_LT(index, s.cluster.masters.size());
  const MasterSpec& m = s.cluster.masters[index];
  const std::uint32_t first = sim::index_of(master_id(s, index));
  Scenario c = s;
  // Its replicas follow it; the highest id first, so the others keep theirs.
  for (int r = m.replicas; r >= 0; --r) {
    c.faults = detail::faults_without(c.faults, static_cast<sim::ProcessId>(first + static_cast<std::uint32_t>(r)));
  }
  drop_failovers_of(c, m.name);
  const std::vector<std::string> nodes = redis_node_names(s);
  for (int r = 0; r <= m.replicas; ++r) {
    detail::drop_cluster_extras_of(c, nodes[first + static_cast<std::uint32_t>(r)]);
  }
  c.cluster.masters.erase(c.cluster.masters.begin() + static_cast<std::ptrdiff_t>(index));
  return c;
}

Scenario without_replica(const Scenario& s, std::size_t index) {
  LOCKLAB_ASSERT_LT(index, s.cluster.masters.size());
  const MasterSpec& m = s.cluster.masters[index];
  LOCKLAB_ASSERT_GT(m.replicas, 0);
  Scenario c = s;
  const std::uint32_t last = sim::index_of(master_id(s, index)) + static_cast<std::uint32_t>(m.replicas);
  c.faults = detail::faults_without(c.faults, static_cast<sim::ProcessId>(last));
  detail::drop_cluster_extras_of(c, redis_node_names(s)[last]);
  if (--c.cluster.masters[index].replicas == 0) drop_failovers_of(c, m.name);
  return c;
}

}  // namespace locklab::scenarios
