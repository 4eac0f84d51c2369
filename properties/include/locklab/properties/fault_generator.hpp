// locklab/properties/fault_generator.hpp — seeded random fault schedules.
//
// Provides within_redlock_assumptions(): a fault schedule drawn from a seeded
// sim::Rng that stays inside the envelope RedLock's safety argument needs;
// and random_faults(): the explorer's general generator, every fault kind of
// the simulation core, each class switched on and bounded by a FaultMix. The
// envelopes per algorithm (which mix is "within assumptions") are policy and
// live in one place, scenarios/src/envelopes.cpp; this file is mechanism.
//
// The envelope (also in docs/locks.md):
//   - every clock drifts by at most half the drift factor (so any two clocks
//     differ by at most the drift factor); no clock jumps;
//   - no client pause while it holds a lease (this generator pauses no client
//     at all, the simplest schedule that keeps the rule);
//   - at any moment at most a minority of masters is crashed, and each either
//     restarts after at least the TTL (the caller runs the masters with
//     ServerOptions::restart_delay ≥ ttl) or loses nothing in its crash
//     (this generator crashes at most ⌊(N−1)/2⌋ distinct masters, each once);
//   - partitions of any shape (hold or reset mode, one-way or both, between
//     any clients and masters), healed at a random later time or never;
//   - message delays of any length (up to `max_delay`).
//
//   sim::Rng rng(seed);
//   sim::FaultSchedule f = properties::within_redlock_assumptions(rng, cluster, envelope);
//   world.schedule(f);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "locklab/sim/fault.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::properties {

struct ClusterShape {
  std::vector<sim::ProcessId> masters;
  std::vector<sim::ProcessId> clients;
};

struct Envelope {
  std::int64_t drift_factor_ppm = 10'000;  // the locks' drift_factor, in ppm
  sim::Duration horizon = std::chrono::seconds(10);  // faults fall in [0, horizon)
  sim::Duration max_delay = std::chrono::seconds(3);
  int partitions = 3;
  int delays = 4;
};

sim::FaultSchedule within_redlock_assumptions(sim::Rng& rng, const ClusterShape& cluster,
                                              const Envelope& envelope);

// What random_faults() may draw. Every bound is inclusive; a class with a
// count of zero is off. Paired faults (pause/resume, crash/restart,
// partition/heal) count as one.
struct FaultMix {
  sim::Duration horizon = std::chrono::seconds(10);  // faults start in [0, horizon)
  // Clock drift set at time zero on every process, in [-drift_ppm, drift_ppm].
  std::int64_t drift_ppm = 0;
  int drift_changes = 0;  // later drift changes, each within ±max_drift_change_ppm
  std::int64_t max_drift_change_ppm = 0;

  int client_pauses = 0;
  int server_pauses = 0;
  sim::Duration max_pause = std::chrono::seconds(2);

  int client_crashes = 0;  // kill or machine crash of a client; never restarted
  // Master crashes (kill or machine crash, then a restart after a pause of
  // up to max_downtime). At most `max_masters_down` masters are down at once
  // when that is set (a minority, within RedLock's assumptions).
  int server_crashes = 0;
  std::optional<std::size_t> max_masters_down;
  bool machine_crashes = true;  // false: only process kills
  // A restarted master refuses connections this much longer (its
  // restart_delay): it counts as down for max_masters_down until then.
  sim::Duration restart_unavailable{0};
  sim::Duration max_downtime = std::chrono::seconds(2);

  int partitions = 0;  // any shape between clients and masters
  bool partitions_heal = true;  // false: some stay (as within_redlock_assumptions)
  bool hold_partitions = true;  // false: every partition resets connections
  sim::Duration max_partition = std::chrono::seconds(3);

  int delays = 0;  // message delays between clients and masters, either way
  bool delay_storage = false;  // also delay a client's writes to the storage
  sim::Duration max_delay = std::chrono::seconds(1);

  int clock_jumps = 0;  // on masters and clients, either sign
  sim::Duration max_jump = std::chrono::seconds(3);
  bool jump_clients = true;
};

// The processes random_faults() may name: replicas and the storage too.
struct WorldShape {
  std::vector<sim::ProcessId> masters;
  std::vector<sim::ProcessId> clients;
  std::optional<sim::ProcessId> storage;
};

// A schedule sorted by time (stable: pairs keep their order).
sim::FaultSchedule random_faults(sim::Rng& rng, const WorldShape& shape, const FaultMix& mix);

}  // namespace locklab::properties
