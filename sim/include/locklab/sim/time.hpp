// locklab/sim/time.hpp — the two kinds of time in a simulated world.
//
// Provides TrueTime (the world's one true time, read only by the world and by
// checkers) and LocalTime (what one process's or Redis node's own clock says),
// as distinct std::chrono time points, so that mixing them is a compile error.
// Both count integer nanoseconds from the start of the world; there is no
// floating point anywhere a result or the trace depends on.
//
// Deliberately absent: a now() on either clock type. True time is asked of the
// World (World::true_now), local time of a Process (Process::now).
//
//   sim::TrueTime t = world.true_now();
//   sim::LocalTime l = process.now();
//   auto ms = sim::to_millis_string(l.time_since_epoch());   // "1.250ms"
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace locklab::sim {

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

}  // namespace locklab::sim
