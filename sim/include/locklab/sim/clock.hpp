// locklab/sim/clock.hpp — one process's (or Redis node's) own clock.
//
// Provides ProcessClock: local time as a piecewise-linear function of true
// time. Each piece starts at a true time with a local reading and runs at a
// rate of (1 + drift_ppm / 1,000,000). A drift change starts a new piece at
// the same reading; a jump starts a new piece at reading + delta (negative
// deltas step the clock backwards). The whole history is kept, so a checker can
// ask, after the run, when this clock reached a given reading.
//
// Fault model: offset, drift rate in integer parts per million (changeable at
// any moment) and step jumps both ways. A clock never runs backwards on its
// own: drift_ppm must be greater than -1,000,000. All arithmetic is integer
// (128-bit intermediates), floor-rounded, so a clock is reproducible exactly.
//
// Deliberately absent: any notion of a monotonic clock separate from the wall
// clock. A process has one clock; a process that must not see jumps is given
// none.
//
//   ProcessClock c(TrueTime{}, {.offset = 5ms, .drift_ppm = 100});
//   LocalTime l = c.local_at(world_now);
//   c.jump(world_now, -2s);
//   TrueTime t = c.true_time_reaching(l + 10s, world_now);
#pragma once

#include <cstdint>
#include <vector>

#include "locklab/sim/time.hpp"

namespace locklab::sim {

struct ClockSpec {
  Duration offset{0};          // local reading at true time zero
  std::int64_t drift_ppm = 0;  // +100 runs 100 µs per second fast

  bool operator==(const ClockSpec&) const = default;
};

inline constexpr std::int64_t kPpmScale = 1'000'000;

class ProcessClock {
 public:
  ProcessClock(TrueTime start, ClockSpec spec);

  // The reading at true time t. t must not precede the clock's start.
  // Inline for the usual call (every trace record makes one): a reading now,
  // of a clock that does not drift, is its last reading plus the time since,
  // wrapping as the general path's 128-bit sum does when it is narrowed.
  LocalTime local_at(TrueTime t) const {
    const Piece& last = pieces_.back();
    if (t < last.start || last.drift_ppm != 0) return local_at_in_general(t);
    const auto wrapped = static_cast<std::uint64_t>(nanos(last.reading)) +
                         (static_cast<std::uint64_t>(nanos(t)) - static_cast<std::uint64_t>(nanos(last.start)));
    return LocalTime{Duration{static_cast<std::int64_t>(wrapped)}};
  }

  // From true time `now` on, run at the new drift rate.
  void set_drift(TrueTime now, std::int64_t drift_ppm);

  // At true time `now`, step the reading by delta (either sign).
  void jump(TrueTime now, Duration delta);

  // The earliest true time t >= from at which local_at(t) >= target, given
  // the history so far and the current rate extrapolated forward. Returns
  // `from` if the reading is already there.
  TrueTime true_time_reaching(LocalTime target, TrueTime from) const;

  std::int64_t drift_ppm() const { return pieces_.back().drift_ppm; }

 private:
  struct Piece {
    TrueTime start;
    LocalTime reading;  // local time at `start`
    std::int64_t drift_ppm;
  };

  // Appends a piece starting at `now` (which must not precede the last one).
  void begin_piece(TrueTime now, LocalTime reading, std::int64_t drift_ppm);
  LocalTime local_at_in_general(TrueTime t) const;
  const Piece& piece_at(TrueTime t) const;
  static LocalTime reading_in(const Piece& piece, TrueTime t);

  std::vector<Piece> pieces_;
};

}  // namespace locklab::sim
