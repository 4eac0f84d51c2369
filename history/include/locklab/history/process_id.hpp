// locklab/history/process_id.hpp — which process did something.
//
// Provides ProcessId, a strong integer type naming one process of a run (a
// client, a Redis node, the storage), so it cannot be passed where another
// integer is expected. In a simulated world ids are assigned in creation
// order, which is deterministic; a real run numbers its processes the same
// way. kNoProcess stands for "none" (a hand-written operation, a write whose
// writer is unknown).
//
// Thread-safety: plain values and pure functions; safe from any thread.
//
//   history::ProcessId p{2};
//   std::cout << p;            // "p2"
//   index_of(p) == 2;
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>

namespace locklab::history {

enum class ProcessId : std::uint32_t {};
inline constexpr ProcessId kNoProcess{std::numeric_limits<std::uint32_t>::max()};

constexpr std::uint32_t index_of(ProcessId id) { return static_cast<std::uint32_t>(id); }

inline std::ostream& operator<<(std::ostream& out, ProcessId id) {
  return id == kNoProcess ? out << "none" : out << "p" << index_of(id);
}

}  // namespace locklab::history
