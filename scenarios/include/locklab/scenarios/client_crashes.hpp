// locklab/scenarios/client_crashes.hpp — the client crashes a fault schedule
// causes, as the liveness checker takes them.
//
// Provides client_crashes(): the kills and machine crashes (ProcessKill,
// MachineCrash) of the given client processes in a fault schedule, in
// schedule order. It lives where worlds are built, not in properties/: the
// checkers read histories and link no simulator, and a schedule is the
// simulator's (and the real runner's) description of faults.
//
// Thread-safety: a pure function of its arguments.
//
//   properties::LivenessInput in{.bounds = bounds, .last_heal = heal, .run_end = end,
//                                .crashes = scenarios::client_crashes(schedule, clients)};
#pragma once

#include <span>
#include <vector>

#include "locklab/properties/liveness.hpp"
#include "locklab/sim/fault.hpp"
#include "locklab/sim/ids.hpp"

namespace locklab::scenarios {

std::vector<properties::ClientCrash> client_crashes(const sim::FaultSchedule& schedule,
                                                    std::span<const sim::ProcessId> clients);

}  // namespace locklab::scenarios
