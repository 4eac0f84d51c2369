// locklab/scenarios/fault_generator.hpp — seeded random fault schedules.
//
// Provides random_faults(): the explorer's generator of fault schedules,
// every fault kind of the simulation core, each class switched on and
// bounded by a FaultMix, drawn from a seeded sim::Rng. Which mix is "within
// an algorithm's assumptions" is policy and lives in one place,
// scenarios/src/envelopes.cpp (and is_within() in envelope.hpp judges any
// scenario against it); this file is mechanism. It lives with the worlds it
// makes faults for, not with the checkers, which link no simulator.
//
// Thread-safety: random_faults() is a function of its arguments (the Rng is
// the caller's, used by one thread at a time); the types are plain values.
//
//   sim::Rng rng(seed);
//   sim::FaultSchedule f = scenarios::random_faults(rng, shape, {.partitions = 3});
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "locklab/sim/fault.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::scenarios {

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
  bool partitions_heal = true;  // false: some never heal
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

}  // namespace locklab::scenarios
