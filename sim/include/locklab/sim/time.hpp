// locklab/sim/time.hpp — the two kinds of time in a simulated world.
//
// Provides, in locklab::sim, the time types a world runs on: TrueTime (the
// world's one true time, read only by the world and by checkers) and
// LocalTime (what one process's or Redis node's own clock says), Duration,
// and their helpers. They are the history's own types
// (locklab/history/time.hpp), named here so that a history recorded in a
// world holds the world's times as they are, and the checkers, which link no
// simulator, read them.
//
// Deliberately absent: a now() on either clock type. True time is asked of the
// World (World::true_now), local time of a Process (Process::now).
//
// Thread-safety: plain values and pure functions; safe from any thread.
//
//   sim::TrueTime t = world.true_now();
//   sim::LocalTime l = process.now();
//   auto text = sim::format_duration(l.time_since_epoch());   // "1.25ms"
#pragma once

#include "locklab/history/time.hpp"

namespace locklab::sim {

using history::Duration;
using history::format_duration;
using history::local_time;
using history::LocalClock;
using history::LocalTime;
using history::nanos;
using history::true_time;
using history::TrueClock;
using history::TrueTime;

}  // namespace locklab::sim
