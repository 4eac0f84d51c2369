#include "locklab/sim/clock.hpp"

#include <algorithm>

#include "locklab/assert.hpp"
#include "locklab/sim/detail/int128.hpp"

namespace locklab::sim {

namespace {

using detail::i128;

// Floor division for a positive divisor (C++ division truncates toward zero).
i128 floor_div(i128 a, i128 b) {
  i128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

i128 ceil_div(i128 a, i128 b) { return -floor_div(-a, b); }

void check_drift(std::int64_t drift_ppm) {
  LOCKLAB_ASSERT(drift_ppm > -kPpmScale && drift_ppm <= 10 * kPpmScale,
                 "clock drift must be in (-1000000, 10000000] ppm, got ", drift_ppm);
}

}  // namespace

ProcessClock::ProcessClock(TrueTime start, ClockSpec spec) {
  check_drift(spec.drift_ppm);
  // The reading at true time zero is the offset; a clock created later starts
  // from where that line would be, so creation time does not shift it.
  Piece origin{TrueTime{}, LocalTime{spec.offset}, spec.drift_ppm};
  pieces_.push_back(origin);
  if (start > TrueTime{}) begin_piece(start, reading_in(origin, start), spec.drift_ppm);
}

LocalTime ProcessClock::reading_in(const Piece& piece, TrueTime t) {
  const i128 elapsed = nanos(t) - nanos(piece.start);
  // Most clocks never drift: skip the 128-bit division (a libgcc call) then.
  const i128 drift = piece.drift_ppm == 0 ? 0 : floor_div(elapsed * piece.drift_ppm, kPpmScale);
  return LocalTime{Duration{static_cast<std::int64_t>(nanos(piece.reading) + elapsed + drift)}};
}

const ProcessClock::Piece& ProcessClock::piece_at(TrueTime t) const {
  // The common case, a reading now: the newest piece is in force.
  if (t >= pieces_.back().start) return pieces_.back();
  LOCKLAB_ASSERT(t >= pieces_.front().start, "clock read before its start");
  // The last piece starting at or before t. Pieces are sorted by start; when
  // several start at the same instant (a jump right after a drift change),
  // the last one is the one in force.
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), t,
                             [](TrueTime value, const Piece& p) { return value < p.start; });
  return *std::prev(it);
}

LocalTime ProcessClock::local_at_in_general(TrueTime t) const { return reading_in(piece_at(t), t); }

void ProcessClock::begin_piece(TrueTime now, LocalTime reading, std::int64_t drift_ppm) {
  LOCKLAB_ASSERT_GE(nanos(now), nanos(pieces_.back().start));
  pieces_.push_back(Piece{now, reading, drift_ppm});
}

void ProcessClock::set_drift(TrueTime now, std::int64_t drift_ppm) {
  check_drift(drift_ppm);
  begin_piece(now, local_at(now), drift_ppm);
}

void ProcessClock::jump(TrueTime now, Duration delta) {
  begin_piece(now, local_at(now) + delta, drift_ppm());
}

TrueTime ProcessClock::true_time_reaching(LocalTime target, TrueTime from) const {
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), from,
                             [](TrueTime value, const Piece& p) { return value < p.start; });
  LOCKLAB_ASSERT(it != pieces_.begin(), "clock queried before its start");
  for (auto piece = std::prev(it); piece != pieces_.end(); ++piece) {
    // Fix (found by clock_test): a piece followed by another starting at the
    // same instant (a drift change and a jump together) is never in force, as
    // piece_at() says; checking its reading at `begin` could answer with a
    // time at which the clock had already been stepped back below target.
    if (const auto following = std::next(piece);
        following != pieces_.end() && following->start == piece->start) {
      continue;
    }
    const TrueTime begin = std::max(from, piece->start);
    if (reading_in(*piece, begin) >= target) return begin;
    // Within a piece the reading grows at rate (1e6 + ppm) / 1e6, so the
    // first whole nanosecond e after the piece's start with
    //   floor(e * (1e6 + ppm) / 1e6) >= target - reading
    // is e = ceil((target - reading) * 1e6 / (1e6 + ppm)).
    const i128 needed = nanos(target) - nanos(piece->reading);
    const i128 elapsed = piece->drift_ppm == 0
                             ? needed
                             : ceil_div(needed * kPpmScale, kPpmScale + piece->drift_ppm);
    const TrueTime reached{Duration{static_cast<std::int64_t>(nanos(piece->start) + elapsed)}};
    const auto next = std::next(piece);
    if (next == pieces_.end() || reached < next->start) return std::max(reached, begin);
  }
  LOCKLAB_ASSERT(false, "unreachable: the last piece extends forever");
  return from;
}

}  // namespace locklab::sim
