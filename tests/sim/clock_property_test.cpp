// Properties of ProcessClock over random histories of drift changes and
// jumps (often several at one instant): true_time_reaching finds the first
// reach, readings grow at each piece's rate, changes step the reading by
// exactly their delta, and the past is never rewritten.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "locklab/sim/clock.hpp"
#include "locklab/sim/detail/int128.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {
namespace {

using detail::i128;

constexpr std::int64_t kSecond = 1'000'000'000;

// One piece of the clock's history as the test saw it being made.
struct Piece {
  std::int64_t start_ns;
  std::int64_t drift_ppm;
  std::int64_t reading_ns;  // the reading it started from (even if replaced at once)
};

// A clock with a random history, and the pieces it was built from.
struct History {
  ProcessClock clock;
  std::int64_t created_ns;
  std::vector<Piece> pieces;  // in order; pieces may share a start
  std::int64_t last_change_ns;
};

std::int64_t local_ns(const ProcessClock& c, std::int64_t t) {
  return nanos(c.local_at(TrueTime{Duration{t}}));
}

rc::Gen<std::int64_t> drift_gen() {
  return rc::gen::weightedOneOf<std::int64_t>({
      {4, rc::gen::inRange<std::int64_t>(-1000, 1001)},
      {2, rc::gen::inRange<std::int64_t>(-kPpmScale + 1, 10 * kPpmScale + 1)},
      {1, rc::gen::element<std::int64_t>(-kPpmScale + 1, 0, 10 * kPpmScale)},
  });
}

// Gaps between changes: often none (several changes at one instant), often
// tiny, sometimes seconds.
rc::Gen<std::int64_t> gap_gen() {
  return rc::gen::weightedOneOf<std::int64_t>({
      {3, rc::gen::just<std::int64_t>(0)},
      {2, rc::gen::inRange<std::int64_t>(1, 1000)},
      {4, rc::gen::inRange<std::int64_t>(1, 3 * kSecond)},
  });
}

History random_history() {
  const std::int64_t created = *rc::gen::weightedOneOf<std::int64_t>(
      {{2, rc::gen::just<std::int64_t>(0)}, {1, rc::gen::inRange<std::int64_t>(1, 5 * kSecond)}});
  const std::int64_t offset = *rc::gen::inRange<std::int64_t>(-5 * kSecond, 5 * kSecond);
  const ClockSpec spec{.offset = Duration{offset}, .drift_ppm = *drift_gen()};
  History h{ProcessClock(TrueTime{Duration{created}}, spec), created, {}, created};
  h.pieces.push_back(Piece{created, spec.drift_ppm, local_ns(h.clock, created)});
  const int changes = *rc::gen::inRange(0, 9);
  std::int64_t now = created;
  for (int i = 0; i < changes; ++i) {
    now += *gap_gen();
    const TrueTime at{Duration{now}};
    const LocalTime before = h.clock.local_at(at);
    if (*rc::gen::arbitrary<bool>()) {
      const std::int64_t delta = *rc::gen::inRange<std::int64_t>(-3 * kSecond, 3 * kSecond + 1);
      h.clock.jump(at, Duration{delta});
      // A jump steps the reading by exactly delta and keeps the rate.
      RC_ASSERT(nanos(h.clock.local_at(at)) == nanos(before) + delta);
      h.pieces.push_back(Piece{now, h.pieces.back().drift_ppm, nanos(before) + delta});
    } else {
      const std::int64_t ppm = *drift_gen();
      h.clock.set_drift(at, ppm);
      // A drift change never steps the reading.
      RC_ASSERT(nanos(h.clock.local_at(at)) == nanos(before));
      h.pieces.push_back(Piece{now, ppm, nanos(before)});
    }
    RC_ASSERT(h.clock.drift_ppm() == h.pieces.back().drift_ppm);
  }
  h.last_change_ns = now;
  return h;
}

// The piece in force at true time t (the last one starting at or before t).
const Piece& piece_at(const History& h, std::int64_t t) {
  auto it = std::upper_bound(h.pieces.begin(), h.pieces.end(), t,
                             [](std::int64_t value, const Piece& p) { return value < p.start_ns; });
  return *std::prev(it);
}

// Checks that t = true_time_reaching(target, from) is the first reach:
// t >= from, local_at(t) >= target, and every t' in [from, t) reads less.
// Readings only rise within a piece, so [from, t) is checked at `from`, at
// t - 1ns, and just before and at every piece start in between (backward
// jumps make the reading fall there).
void check_first_reach(const History& h, std::int64_t from, std::int64_t target) {
  const std::int64_t t =
      nanos(h.clock.true_time_reaching(LocalTime{Duration{target}}, TrueTime{Duration{from}}));
  RC_ASSERT(t >= from);
  RC_ASSERT(local_ns(h.clock, t) >= target);
  if (t > from) {
    RC_ASSERT(local_ns(h.clock, from) < target);
    RC_ASSERT(local_ns(h.clock, t - 1) < target);
    for (const Piece& p : h.pieces) {
      if (p.start_ns > from && p.start_ns < t) {
        RC_ASSERT(local_ns(h.clock, p.start_ns) < target);
        RC_ASSERT(local_ns(h.clock, p.start_ns - 1) < target);
      }
    }
  }
}

// true_time_reaching finds the first reach, for several (from, target)
// queries on each random history.
RC_GTEST_PROP(ProcessClockProperty, TrueTimeReachingFindsTheFirstReach, ()) {
  const History h = random_history();
  // Pieces replaced at once by another change at the same instant (never in
  // force, their reading never shown): the trickiest spots.
  std::vector<std::size_t> replaced;
  for (std::size_t i = 1; i + 1 < h.pieces.size(); ++i) {
    if (h.pieces[i + 1].start_ns == h.pieces[i].start_ns) replaced.push_back(i);
  }
  for (int query = 0; query < 8; ++query) {
    std::int64_t from = 0;
    std::int64_t target = 0;
    if (h.pieces.size() > 1 && *rc::gen::arbitrary<bool>()) {
      // Around a change: from at or before it, the target near the readings
      // on either side of it (a replaced piece's reading included).
      const std::size_t index = !replaced.empty() && *rc::gen::arbitrary<bool>()
                                    ? *rc::gen::elementOf(replaced)
                                    : *rc::gen::inRange<std::size_t>(1, h.pieces.size());
      const Piece& p = h.pieces[index];
      from = *rc::gen::inRange<std::int64_t>(h.created_ns, p.start_ns + 1);
      const std::int64_t before = local_ns(h.clock, std::max<std::int64_t>(p.start_ns - 1, 0));
      const std::int64_t lo = std::min(before, p.reading_ns);
      const std::int64_t hi = std::max(before, p.reading_ns);
      target = *rc::gen::oneOf(rc::gen::inRange<std::int64_t>(p.reading_ns - 2, p.reading_ns + 3),
                               rc::gen::inRange<std::int64_t>(before - 2, before + 3),
                               rc::gen::inRange<std::int64_t>(lo, hi + 1));
    } else {
      // Anywhere: targets near readings the clock shows after `from`, or a
      // few seconds around the reading at `from`.
      from = *rc::gen::inRange<std::int64_t>(h.created_ns, h.last_change_ns + 2 * kSecond);
      const std::int64_t near_time =
          *rc::gen::inRange<std::int64_t>(from, std::max(from, h.last_change_ns) + 2 * kSecond);
      target = *rc::gen::weightedOneOf<std::int64_t>({
          {2, rc::gen::inRange<std::int64_t>(local_ns(h.clock, near_time) - 2,
                                             local_ns(h.clock, near_time) + 3)},
          {1, rc::gen::inRange<std::int64_t>(local_ns(h.clock, from) - kSecond,
                                             local_ns(h.clock, from) + 5 * kSecond)},
      });
    }
    check_first_reach(h, from, target);
  }
}

// Within a piece the reading never falls and advances at the piece's rate:
// over an interval d it moves by d·(1 + ppm/1e6), floor-rounded at each end,
// so by that amount to within a nanosecond either way.
RC_GTEST_PROP(ProcessClockProperty, ReadingRisesAtThePieceRate, ()) {
  const History h = random_history();
  const std::int64_t a =
      *rc::gen::inRange<std::int64_t>(h.created_ns, h.last_change_ns + 2 * kSecond);
  const Piece& piece = piece_at(h, a);
  std::int64_t piece_end = h.last_change_ns + 3 * kSecond;
  for (const Piece& p : h.pieces) {
    if (p.start_ns > a) {
      piece_end = p.start_ns;
      break;
    }
  }
  const std::int64_t b = *rc::gen::inRange<std::int64_t>(a, piece_end);
  const std::int64_t la = local_ns(h.clock, a);
  const std::int64_t lb = local_ns(h.clock, b);
  RC_ASSERT(la <= lb);
  // (lb - la)·1e6 versus (b - a)·(1e6 + ppm): within one nanosecond's worth.
  const i128 moved = static_cast<i128>(lb - la) * kPpmScale;
  const i128 exact = static_cast<i128>(b - a) * (kPpmScale + piece.drift_ppm);
  RC_ASSERT(moved - exact < static_cast<i128>(kPpmScale));
  RC_ASSERT(exact - moved < static_cast<i128>(kPpmScale));
}

// Later changes never rewrite the past: readings taken at times before a
// change are answered the same after it.
RC_GTEST_PROP(ProcessClockProperty, ChangesDoNotRewriteHistory, ()) {
  const ClockSpec spec{.offset = Duration{*rc::gen::inRange<std::int64_t>(-kSecond, kSecond)},
                       .drift_ppm = *drift_gen()};
  ProcessClock clock(TrueTime{}, spec);
  std::vector<std::pair<std::int64_t, std::int64_t>> seen;  // (true ns, local ns)
  std::int64_t now = 0;
  const int changes = *rc::gen::inRange(1, 9);
  for (int i = 0; i < changes; ++i) {
    const std::int64_t next = now + *gap_gen();
    // Read a few times before the next change, then make it.
    for (int k = 0; k < 3 && next > 0; ++k) {
      const std::int64_t at = *rc::gen::inRange<std::int64_t>(0, next);
      seen.emplace_back(at, local_ns(clock, at));
    }
    now = next;
    if (*rc::gen::arbitrary<bool>()) {
      clock.jump(TrueTime{Duration{now}},
                 Duration{*rc::gen::inRange<std::int64_t>(-3 * kSecond, 3 * kSecond + 1)});
    } else {
      clock.set_drift(TrueTime{Duration{now}}, *drift_gen());
    }
  }
  for (const auto& [at, reading] : seen) RC_ASSERT(local_ns(clock, at) == reading);
}

}  // namespace
}  // namespace locklab::sim
