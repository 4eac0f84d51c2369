// locklab/properties/fault_generator.hpp — seeded random fault schedules.
//
// Provides within_redlock_assumptions(): a fault schedule drawn from a seeded
// sim::Rng that stays inside the envelope RedLock's safety argument needs.
// It is small on purpose — the explorer of a later issue grows it (more
// fault kinds, schedules beyond the assumptions); grow it, don't replace it.
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

#include <cstdint>
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

}  // namespace locklab::properties
