// random_faults(): every fault class of the simulation core, drawn from one
// seeded generator in a fixed order (so a seed always gives one schedule).
#include <algorithm>

#include "draw.hpp"
#include "locklab/assert.hpp"
#include "locklab/scenarios/fault_generator.hpp"

namespace locklab::scenarios {
namespace {

using detail::pick;
using detail::subset;

constexpr sim::Duration kOneMs = std::chrono::milliseconds(1);

// Whole milliseconds (bounds are rounded down to them), so that a schedule
// written to a scenario file reads "6387ms" rather than nanoseconds.
sim::Duration draw_duration(sim::Rng& rng, sim::Duration lo, sim::Duration hi) {
  const auto ms = [](sim::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  return std::chrono::milliseconds(rng.between(ms(lo), ms(hi)));
}

sim::TrueTime draw_time(sim::Rng& rng, sim::Duration horizon) {
  return sim::true_time(draw_duration(rng, sim::Duration(0), horizon - kOneMs));
}

struct Downtime {
  sim::ProcessId node;
  sim::TrueTime from;
  sim::TrueTime until;
};

// How many masters other than `node` are down at some moment of [from, until).
std::size_t down_during(const std::vector<Downtime>& down, sim::ProcessId node, sim::TrueTime from,
                        sim::TrueTime until) {
  std::vector<sim::ProcessId> others;
  for (const Downtime& d : down) {
    if (d.node != node && d.from < until && from < d.until &&
        std::find(others.begin(), others.end(), d.node) == others.end()) {
      others.push_back(d.node);
    }
  }
  return others.size();
}

void add_pauses(sim::Rng& rng, const std::vector<sim::ProcessId>& who, int count, const FaultMix& mix,
                sim::FaultSchedule& out) {
  for (int i = 0; i < count && !who.empty(); ++i) {
    const sim::ProcessId p = pick(rng, who);
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    out.push_back({at, sim::ProcessPause{p}});
    out.push_back({at + draw_duration(rng, kOneMs, mix.max_pause), sim::ProcessResume{p}});
  }
}

void add_server_crashes(sim::Rng& rng, const WorldShape& shape, const FaultMix& mix,
                        sim::FaultSchedule& out) {
  std::vector<Downtime> down;
  for (int i = 0; i < mix.server_crashes && !shape.masters.empty(); ++i) {
    const sim::ProcessId node = pick(rng, shape.masters);
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    const sim::TrueTime back = at + draw_duration(rng, kOneMs, mix.max_downtime);
    const bool machine = mix.machine_crashes && rng.chance(1, 2);
    // A node already down then, or one more than the envelope allows: skip
    // (the draws above are made anyway, so later faults do not shift).
    const sim::TrueTime up = back + mix.restart_unavailable;
    if (down_during(down, sim::kNoProcess, at, up) >= mix.max_masters_down.value_or(shape.masters.size()) ||
        std::any_of(down.begin(), down.end(), [&](const Downtime& d) {
          return d.node == node && d.from < up && at < d.until;
        })) {
      continue;
    }
    down.push_back({node, at, up});
    out.push_back({at, machine ? sim::FaultAction{sim::MachineCrash{node}}
                               : sim::FaultAction{sim::ProcessKill{node}}});
    out.push_back({back, sim::ProcessRestart{node}});
  }
}

void add_partitions(sim::Rng& rng, const WorldShape& shape, const FaultMix& mix,
                    sim::FaultSchedule& out) {
  for (int i = 0; i < mix.partitions && !shape.masters.empty() && !shape.clients.empty(); ++i) {
    const bool clients_first = rng.chance(1, 2);
    std::vector<sim::ProcessId> from = subset(rng, clients_first ? shape.clients : shape.masters);
    std::vector<sim::ProcessId> to = subset(rng, clients_first ? shape.masters : shape.clients);
    const bool one_way = rng.chance(1, 2);
    const sim::PartitionMode mode = rng.chance(1, 2) && mix.hold_partitions ? sim::PartitionMode::hold
                                                                           : sim::PartitionMode::reset;
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    const sim::Duration length = draw_duration(rng, kOneMs, mix.max_partition);
    out.push_back({at, sim::LinkPartition{from, to, one_way, mode}});
    if (mix.partitions_heal || rng.chance(3, 4)) {
      out.push_back({at + length, sim::LinkHeal{from, to, one_way}});
    }
  }
}

void add_delays(sim::Rng& rng, const WorldShape& shape, const FaultMix& mix, sim::FaultSchedule& out) {
  for (int i = 0; i < mix.delays && !shape.masters.empty() && !shape.clients.empty(); ++i) {
    sim::ProcessId a = pick(rng, shape.clients);
    sim::ProcessId b = pick(rng, shape.masters);
    const bool to_storage = mix.delay_storage && shape.storage && rng.chance(1, 3);
    if (to_storage) {
      b = *shape.storage;  // the client's writes
    } else if (rng.chance(1, 2)) {
      std::swap(a, b);
    }
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    const sim::Duration extra = draw_duration(rng, kOneMs, mix.max_delay);
    out.push_back({at, sim::MessageDelay{a, b, extra, static_cast<std::uint32_t>(1 + rng.below(3))}});
  }
}

void add_clock_faults(sim::Rng& rng, const WorldShape& shape, const FaultMix& mix,
                      sim::FaultSchedule& out) {
  std::vector<sim::ProcessId> clocks = shape.masters;
  if (mix.jump_clients) clocks.insert(clocks.end(), shape.clients.begin(), shape.clients.end());
  for (int i = 0; i < mix.clock_jumps && !clocks.empty(); ++i) {
    const sim::ProcessId p = pick(rng, clocks);
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    sim::Duration delta = draw_duration(rng, kOneMs, mix.max_jump);
    if (rng.chance(1, 2)) delta = -delta;
    out.push_back({at, sim::ClockJump{p, delta}});
  }
  std::vector<sim::ProcessId> everyone = shape.masters;
  everyone.insert(everyone.end(), shape.clients.begin(), shape.clients.end());
  for (int i = 0; i < mix.drift_changes && !everyone.empty(); ++i) {
    const sim::ProcessId p = pick(rng, everyone);
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    out.push_back({at, sim::ClockDriftSet{p, rng.between(-mix.max_drift_change_ppm, mix.max_drift_change_ppm)}});
  }
}

}  // namespace

sim::FaultSchedule random_faults(sim::Rng& rng, const WorldShape& shape, const FaultMix& mix) {
  LOCKLAB_ASSERT_GT(mix.horizon.count(), 0);
  LOCKLAB_ASSERT_GE(mix.drift_ppm, 0);
  sim::FaultSchedule faults;
  if (mix.drift_ppm > 0) {
    std::vector<sim::ProcessId> everyone = shape.masters;
    everyone.insert(everyone.end(), shape.clients.begin(), shape.clients.end());
    for (sim::ProcessId p : everyone) {
      faults.push_back({sim::true_time(sim::Duration(0)),
                        sim::ClockDriftSet{p, rng.between(-mix.drift_ppm, mix.drift_ppm)}});
    }
  }
  add_pauses(rng, shape.clients, mix.client_pauses, mix, faults);
  add_pauses(rng, shape.masters, mix.server_pauses, mix, faults);
  for (int i = 0; i < mix.client_crashes && !shape.clients.empty(); ++i) {
    const sim::ProcessId p = pick(rng, shape.clients);
    const sim::TrueTime at = draw_time(rng, mix.horizon);
    faults.push_back({at, mix.machine_crashes && rng.chance(1, 2) ? sim::FaultAction{sim::MachineCrash{p}}
                                                                  : sim::FaultAction{sim::ProcessKill{p}}});
  }
  add_server_crashes(rng, shape, mix, faults);
  add_partitions(rng, shape, mix, faults);
  add_delays(rng, shape, mix, faults);
  add_clock_faults(rng, shape, mix, faults);
  std::stable_sort(faults.begin(), faults.end(),
                   [](const sim::Fault& x, const sim::Fault& y) { return x.at < y.at; });
  return faults;
}

}  // namespace locklab::scenarios
