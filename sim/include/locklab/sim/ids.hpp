// locklab/sim/ids.hpp — identifiers of things in a world.
//
// Strong integer types, so a process id cannot be passed where a connection
// id is expected. Ids are assigned in creation order, which is deterministic.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>

namespace locklab::sim {

enum class ProcessId : std::uint32_t {};
inline constexpr ProcessId kNoProcess{std::numeric_limits<std::uint32_t>::max()};

enum class ConnectionId : std::uint64_t {};

constexpr std::uint32_t index_of(ProcessId id) { return static_cast<std::uint32_t>(id); }
constexpr std::uint64_t index_of(ConnectionId id) { return static_cast<std::uint64_t>(id); }

inline std::ostream& operator<<(std::ostream& out, ProcessId id) {
  return id == kNoProcess ? out << "none" : out << "p" << index_of(id);
}
inline std::ostream& operator<<(std::ostream& out, ConnectionId id) {
  return out << "c" << index_of(id);
}

}  // namespace locklab::sim
