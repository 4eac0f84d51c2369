// locklab/sim/errors.hpp — what a call into the world can report.
//
// Provides SimError (the typed outcomes of blocking and network calls),
// SimResult<T> (std::expected), and ProcessKilled, the exception that unwinds
// a killed process's fibers.
//
// ProcessKilled deliberately does not derive from std::exception, so that
// `catch (const std::exception&)` in process code does not swallow a kill.
// Only the world catches it, at the bottom of each fiber. Code that catches
// `...` must rethrow; the world asserts if a fiber keeps swallowing kills.
#pragma once

#include <cstdint>
#include <expected>
#include <string_view>

#include "locklab/sim/ids.hpp"

namespace locklab::sim {

enum class SimError : std::uint8_t {
  killed,              // the calling process was killed: unwind, touch nothing
  timed_out,           // the deadline passed first
  connection_refused,  // the host answered, but nothing listens there
  connection_reset,    // the connection was reset (peer died, partition, reset fault)
  connection_closed,   // the peer closed (end of stream), or this end was closed
  unreachable,         // no route to the host (partition in reset mode)
};

std::string_view name_of(SimError error);

template <typename T>
using SimResult = std::expected<T, SimError>;

struct ProcessKilled {
  ProcessId process;
};

}  // namespace locklab::sim
