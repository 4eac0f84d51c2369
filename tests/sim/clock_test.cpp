// ProcessClock: offset, drift (exact, floor-rounded), drift changes without a
// step, jumps both ways, answers from history, and true_time_reaching.
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>

#include "locklab/sim/clock.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

// Readable failure messages: GoogleTest finds these by argument-dependent
// lookup (the clock tags of both time point types live in this namespace).
[[maybe_unused]] static void PrintTo(const TrueTime& t, std::ostream* out) {
  *out << "true " << format_duration(t.time_since_epoch());
}
[[maybe_unused]] static void PrintTo(const LocalTime& t, std::ostream* out) {
  *out << "local " << format_duration(t.time_since_epoch());
}

namespace {

using namespace std::chrono_literals;

// The offset is the reading at true time zero; without drift the clock then
// runs at exactly the true rate.
TEST(ProcessClock, OffsetIsTheReadingAtTimeZero) {
  const ProcessClock c(TrueTime{}, {.offset = 5ms});
  EXPECT_EQ(c.local_at(TrueTime{}), local_time(5ms));
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(1s + 5ms));
  EXPECT_EQ(c.local_at(true_time(3h)), local_time(3h + 5ms));
  EXPECT_EQ(c.drift_ppm(), 0);
}

// A negative offset puts the reading behind true time by that much.
TEST(ProcessClock, NegativeOffsetRunsBehind) {
  const ProcessClock c(TrueTime{}, {.offset = -2s});
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(-1s));
  EXPECT_EQ(c.local_at(true_time(2s)), LocalTime{});
}

// +100 ppm gains exactly 100 µs per true second, with no rounding drift over
// many seconds.
TEST(ProcessClock, PositiveDriftGainsExactlyPerSecond) {
  const ProcessClock c(TrueTime{}, {.drift_ppm = 100});
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(1s + 100us));
  EXPECT_EQ(c.local_at(true_time(2s)), local_time(2s + 200us));
  EXPECT_EQ(c.local_at(true_time(1000s)), local_time(1000s + 100ms));
  EXPECT_EQ(c.drift_ppm(), 100);
}

// -250 ppm loses exactly 250 µs per true second.
TEST(ProcessClock, NegativeDriftLosesExactlyPerSecond) {
  const ProcessClock c(TrueTime{}, {.offset = 1ms, .drift_ppm = -250});
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(1s + 1ms - 250us));
  EXPECT_EQ(c.local_at(true_time(4s)), local_time(4s + 1ms - 1ms));
}

// The drift term is floor-rounded: +100 ppm adds nothing until 10 µs have
// passed, and -100 ppm takes a whole nanosecond off at once (floor, not
// truncation toward zero).
TEST(ProcessClock, DriftIsFloorRounded) {
  const ProcessClock fast(TrueTime{}, {.drift_ppm = 100});
  EXPECT_EQ(fast.local_at(true_time(9'999ns)), local_time(9'999ns));
  EXPECT_EQ(fast.local_at(true_time(10'000ns)), local_time(10'001ns));
  EXPECT_EQ(fast.local_at(true_time(19'999ns)), local_time(20'000ns));

  const ProcessClock slow(TrueTime{}, {.drift_ppm = -100});
  EXPECT_EQ(slow.local_at(TrueTime{}), LocalTime{});
  EXPECT_EQ(slow.local_at(true_time(1ns)), LocalTime{});  // 1 - 0.0001 floors to 0
  EXPECT_EQ(slow.local_at(true_time(10'000ns)), local_time(9'999ns));
  EXPECT_EQ(slow.local_at(true_time(10'001ns)), local_time(9'999ns));  // floor(10001 - 1.0001)
}

// A clock created after true time zero reads what the line from its offset
// says: creation time does not shift it.
TEST(ProcessClock, LateStartDoesNotShiftTheReading) {
  const ProcessClock late(true_time(5s), {.offset = 1s, .drift_ppm = 100});
  const ProcessClock early(TrueTime{}, {.offset = 1s, .drift_ppm = 100});
  EXPECT_EQ(late.local_at(true_time(5s)), local_time(6s + 500us));
  EXPECT_EQ(late.local_at(true_time(7s)), early.local_at(true_time(7s)));
}

// Changing the drift mid-way keeps the reading continuous (no step at the
// change) and runs at the new rate from then on.
TEST(ProcessClock, SetDriftIsContinuous) {
  ProcessClock c(TrueTime{}, {.drift_ppm = 100});
  const LocalTime before = c.local_at(true_time(1s));
  ASSERT_EQ(before, local_time(1s + 100us));
  c.set_drift(true_time(1s), -100);
  EXPECT_EQ(c.drift_ppm(), -100);
  EXPECT_EQ(c.local_at(true_time(1s)), before);
  EXPECT_EQ(c.local_at(true_time(1s) - 1ns), local_time(1s - 1ns + 99'999ns));  // floor
  EXPECT_EQ(c.local_at(true_time(1s) + 10'000ns), before + 9'999ns);
  EXPECT_EQ(c.local_at(true_time(2s)), local_time(2s));  // +100µs, then -100µs
  EXPECT_EQ(c.local_at(true_time(11s)), local_time(11s - 900us));
}

// A forward jump steps the reading by exactly delta at that instant; the
// clock then carries on at its rate from the new reading.
TEST(ProcessClock, JumpForwardStepsThenContinuesAtTheRate) {
  ProcessClock c(TrueTime{}, {.drift_ppm = 1000});
  const LocalTime just_before = c.local_at(true_time(1s) - 1ns);
  c.jump(true_time(1s), 50ms);
  EXPECT_EQ(c.local_at(true_time(1s) - 1ns), just_before);
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(1s + 1ms + 50ms));
  EXPECT_EQ(c.local_at(true_time(2s)), local_time(2s + 2ms + 50ms));
  EXPECT_EQ(c.drift_ppm(), 1000);
}

// A backward jump steps the reading back; it then climbs again at the rate,
// so readings seen before the jump come round a second time.
TEST(ProcessClock, JumpBackwardStepsBackThenContinues) {
  ProcessClock c(TrueTime{}, {.offset = 10ms});
  c.jump(true_time(1s), -300ms);
  EXPECT_EQ(c.local_at(true_time(1s) - 1ns), local_time(1s + 10ms - 1ns));
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(710ms));
  EXPECT_EQ(c.local_at(true_time(1300ms)), local_time(1010ms));
  EXPECT_LT(c.local_at(true_time(1s)), c.local_at(true_time(999ms)));
}

// The history is kept: readings at true times before later drift changes and
// jumps are answered as they were then.
TEST(ProcessClock, EarlierTimesAreAnsweredFromHistory) {
  ProcessClock c(TrueTime{}, {.offset = 1ms, .drift_ppm = 200});
  const LocalTime at_half = c.local_at(true_time(500ms));
  const LocalTime at_one = c.local_at(true_time(1s));
  const LocalTime just_before_one = c.local_at(true_time(1s) - 1ns);
  c.jump(true_time(1s), -5s);
  c.set_drift(true_time(2s), -300'000);
  c.jump(true_time(3s), 7s);
  EXPECT_EQ(c.local_at(true_time(500ms)), at_half);
  EXPECT_EQ(c.local_at(true_time(1s) - 1ns), just_before_one);
  EXPECT_EQ(c.local_at(true_time(1s)), at_one - 5s);
  const LocalTime at_two = at_one - 5s + 1s + 200us;
  EXPECT_EQ(c.local_at(true_time(2s)), at_two);
  EXPECT_EQ(c.local_at(true_time(2500ms)), at_two + 350ms);  // 500ms at 0.7
  EXPECT_EQ(c.local_at(true_time(3s)), at_two + 700ms + 7s);
}

// Several pieces may start at the same instant (a drift change and a jump
// together): the last one is in force.
TEST(ProcessClock, LastChangeAtAnInstantWins) {
  ProcessClock c(TrueTime{}, {});
  c.set_drift(true_time(1s), 500'000);
  c.jump(true_time(1s), -200ms);
  EXPECT_EQ(c.local_at(true_time(1s)), local_time(800ms));
  EXPECT_EQ(c.local_at(true_time(2s)), local_time(2300ms));
}

// With a 10% fast clock, one local second passes after ceil(1e9 / 1.1) ns of
// true time; one nanosecond earlier the reading is still short.
TEST(ProcessClock, TrueTimeReachingIsExactWithDrift) {
  const ProcessClock c(TrueTime{}, {.drift_ppm = 100'000});
  const TrueTime t = c.true_time_reaching(local_time(1s), TrueTime{});
  EXPECT_EQ(t, true_time(909'090'910ns));
  EXPECT_GE(c.local_at(t), local_time(1s));
  EXPECT_LT(c.local_at(t - 1ns), local_time(1s));

  const ProcessClock slow(TrueTime{}, {.offset = 3ms, .drift_ppm = -500'000});
  EXPECT_EQ(slow.true_time_reaching(local_time(1003ms), TrueTime{}), true_time(2s));
  EXPECT_EQ(slow.true_time_reaching(local_time(1003ms) + 1ns, TrueTime{}), true_time(2s) + 2ns);
}

// A target the reading has already passed at `from` is reached at `from`.
TEST(ProcessClock, TrueTimeReachingAlreadyReachedReturnsFrom) {
  ProcessClock c(TrueTime{}, {.offset = 1s, .drift_ppm = 50});
  EXPECT_EQ(c.true_time_reaching(local_time(500ms), true_time(3s)), true_time(3s));
  EXPECT_EQ(c.true_time_reaching(c.local_at(true_time(3s)), true_time(3s)), true_time(3s));
  c.jump(true_time(4s), -1s);
  EXPECT_EQ(c.true_time_reaching(local_time(4s), true_time(5s)), true_time(5s));
}

// After a backward jump a reading that had been passed must be climbed back
// to; before the jump the first reach is the original one.
TEST(ProcessClock, TrueTimeReachingAfterBackwardJumpClimbsBack) {
  ProcessClock c(TrueTime{}, {});
  c.jump(true_time(1s), -300ms);
  EXPECT_EQ(c.true_time_reaching(local_time(900ms), TrueTime{}), true_time(900ms));
  EXPECT_EQ(c.true_time_reaching(local_time(900ms), true_time(1s)), true_time(1200ms));
  EXPECT_EQ(c.true_time_reaching(local_time(900ms), true_time(950ms)), true_time(950ms));
  // 1.1s is not reached before the jump at 1s, so it is reached on the new
  // piece: 700ms at 1s, +400ms.
  EXPECT_EQ(c.true_time_reaching(local_time(1100ms), true_time(950ms)), true_time(1400ms));
}

// A forward jump reaches every reading it skips over at the instant of the
// jump.
TEST(ProcessClock, TrueTimeReachingAcrossForwardJump) {
  ProcessClock c(TrueTime{}, {});
  c.jump(true_time(1s), 500ms);
  EXPECT_EQ(c.true_time_reaching(local_time(1200ms), TrueTime{}), true_time(1s));
  EXPECT_EQ(c.true_time_reaching(local_time(1500ms), TrueTime{}), true_time(1s));
  EXPECT_EQ(c.true_time_reaching(local_time(1500ms) + 1ns, TrueTime{}), true_time(1s) + 1ns);
}

// The current rate is extrapolated past the last change, and each piece's
// own rate is used inside it.
TEST(ProcessClock, TrueTimeReachingUsesEachPiecesRate) {
  ProcessClock c(TrueTime{}, {});
  c.set_drift(true_time(1s), 1'000'000);  // runs at double speed from 1s
  EXPECT_EQ(c.true_time_reaching(local_time(500ms), TrueTime{}), true_time(500ms));
  EXPECT_EQ(c.true_time_reaching(local_time(3s), TrueTime{}), true_time(2s));
  EXPECT_EQ(c.true_time_reaching(local_time(3s) + 1ns, TrueTime{}), true_time(2s) + 1ns);
}

// A drift change and a backward jump at the same instant: the reading the
// drift change started from is never in force, so a target between the
// jumped-to reading and the pre-jump reading is reached only later.
TEST(ProcessClock, TrueTimeReachingIgnoresPiecesReplacedAtTheSameInstant) {
  ProcessClock c(TrueTime{}, {});
  c.set_drift(true_time(1s), 0);
  c.jump(true_time(1s), -500ms);
  const TrueTime t = c.true_time_reaching(local_time(1s), true_time(500ms));
  EXPECT_EQ(t, true_time(1500ms));
  EXPECT_GE(c.local_at(t), local_time(1s));
  EXPECT_LT(c.local_at(true_time(1s)), local_time(1s));
}

}  // namespace
}  // namespace locklab::sim
