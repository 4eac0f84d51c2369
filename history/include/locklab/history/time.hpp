// locklab/history/time.hpp — the two kinds of time in a history.
//
// Provides TrueTime (the one true time of a run: a simulated world's, or the
// observer's clock in a real run; read only by the world, the recorder and
// the checkers) and LocalTime (what one process's or Redis node's own clock
// says), as distinct std::chrono time points, so that mixing them is a
// compile error. Both count integer nanoseconds from the start of the run;
// there is no floating point anywhere a result or the trace depends on.
// The simulator uses these same types (sim/time.hpp names them in
// locklab::sim), so a history recorded in a world needs no conversion.
//
// Deliberately absent: a now() on either clock type. In a world, true time is
// asked of the World (World::true_now), local time of a Process
// (Process::now).
//
// Thread-safety: plain values and pure functions; safe to use from any
// thread.
//
//   history::TrueTime t = history::true_time(5ms);
//   std::string s = history::format_duration(1250us);   // "1.25ms"
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace locklab::history {

using Duration = std::chrono::nanoseconds;

// The world's true time. A clock tag only: it has no now().
struct TrueClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = Duration;
  using time_point = std::chrono::time_point<TrueClock, Duration>;
  static constexpr bool is_steady = true;
};

// A process's own clock (offset, drift and jumps applied). A clock tag only.
struct LocalClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = Duration;
  using time_point = std::chrono::time_point<LocalClock, Duration>;
  static constexpr bool is_steady = false;  // it can jump backwards
};

using TrueTime = TrueClock::time_point;
using LocalTime = LocalClock::time_point;

constexpr std::int64_t nanos(TrueTime t) { return t.time_since_epoch().count(); }
constexpr std::int64_t nanos(LocalTime t) { return t.time_since_epoch().count(); }
constexpr std::int64_t nanos(Duration d) { return d.count(); }
constexpr TrueTime true_time(Duration since_start) { return TrueTime{since_start}; }
constexpr LocalTime local_time(Duration since_start) { return LocalTime{since_start}; }

// "12.345678ms", "-3s", "0ns": exact, integer-only, for traces and messages.
std::string format_duration(Duration d);

}  // namespace locklab::history
