// locklab/sim/ids.hpp — identifiers of things in a world.
//
// Strong integer types, so a process id cannot be passed where a connection
// id is expected. Ids are assigned in creation order, which is deterministic.
// ProcessId is the history's own (locklab/history/process_id.hpp), named here
// so that the world and its history speak of processes alike.
//
// Thread-safety: plain values and pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <ostream>

#include "locklab/history/process_id.hpp"

namespace locklab::sim {

using history::index_of;
using history::kNoProcess;
using history::ProcessId;

enum class ConnectionId : std::uint64_t {};

constexpr std::uint64_t index_of(ConnectionId id) { return static_cast<std::uint64_t>(id); }

inline std::ostream& operator<<(std::ostream& out, ConnectionId id) {
  return out << "c" << index_of(id);
}

}  // namespace locklab::sim
