// What the shrinker's removals of processes share: the schedule without one
// process (renumbering the faults that name processes after it), and the
// quorum rule a smaller cluster must keep. without_client, without_master
// and without_replica (shrink.hpp) are built on it; nothing here runs a
// world.
#pragma once

#include <cstddef>

#include "locklab/scenarios/scenario.hpp"
#include "locklab/sim/fault.hpp"

namespace locklab::scenarios::detail {

// The schedule once process `gone` is no more: faults naming only it are
// dropped, it leaves partitions' sides, and ids above it move down by one.
sim::FaultSchedule faults_without(const sim::FaultSchedule& faults, sim::ProcessId gone);
// Drops the preset keys on the process named `gone` and the links naming
// it (they are by name: nothing to renumber).
void drop_cluster_extras_of(Scenario& scenario, const std::string& gone);

// Whether the quorum still means a majority: an explicit quorum is at most
// the masters and more than half of them (the default, N/2 + 1, always is).
bool quorum_is_majority(const Scenario& scenario);

}  // namespace locklab::scenarios::detail
