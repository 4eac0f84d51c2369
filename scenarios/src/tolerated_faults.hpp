// Which faults RedLock's quorum tolerates, for the liveness judge: faults
// that touch only masters (a pause, a kill or crash until the master serves
// again, a partition or a message delay between masters and clients), as
// long as at no moment more than N - quorum masters are touched at once. The
// lock must still grant during those, so the judge does not wait for them to
// heal before judging progress.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "locklab/sim/fault.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::scenarios {

// One master touched by a fault, over [from, until).
struct MasterOutage {
  sim::ProcessId master;
  sim::TrueTime from{};
  sim::TrueTime until{};
};

// The masters fault `f` touches, if it touches masters only (clients may be
// named too: on a partition's or a delay's other side, cut off from those
// masters alone); the same for the record that ends such a fault (a resume,
// a restart, a heal), which touches them for no time; nullopt for a fault
// that touches anything else (a client paused or crashed, the storage, a
// replica) or none of the masters.
std::optional<std::vector<sim::ProcessId>> masters_only(const sim::Fault& f,
                                                        const std::vector<sim::ProcessId>& masters,
                                                        const std::vector<sim::ProcessId>& clients);

// The end of the last moment at which more than `tolerable` distinct masters
// were touched at once; the epoch when there was none.
sim::TrueTime last_overload_end(const std::vector<MasterOutage>& outages, std::size_t tolerable);

}  // namespace locklab::scenarios
