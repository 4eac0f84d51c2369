// Latency models (validation and draws) and format_duration, which
// describe() and the trace use to print durations.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <set>

#include "locklab/sim/latency.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;

// Each kind of bad model is rejected with a message saying what is wrong.
TEST(Latency, ValidateNamesWhatIsWrong) {
  EXPECT_EQ(validate(FixedLatency{-1ns}), "fixed latency must not be negative");
  EXPECT_EQ(validate(UniformLatency{-1ns, 5ns}), "uniform latency min must not be negative");
  EXPECT_EQ(validate(UniformLatency{5ns, 4ns}), "uniform latency max must be >= min");
  EXPECT_EQ(validate(HeavyTailLatency{0ns, 1ms}), "heavy-tail latency base must be positive");
  EXPECT_EQ(validate(HeavyTailLatency{-1ns, 1ms}), "heavy-tail latency base must be positive");
  EXPECT_EQ(validate(HeavyTailLatency{2ms, 1ms}), "heavy-tail latency cap must be >= base");
}

// Boundary models are valid: zero fixed latency, a one-point uniform range,
// a heavy tail capped at its base.
TEST(Latency, ValidateAcceptsBoundaryModels) {
  EXPECT_EQ(validate(FixedLatency{0ns}), "");
  EXPECT_EQ(validate(UniformLatency{0ns, 0ns}), "");
  EXPECT_EQ(validate(UniformLatency{5ns, 5ns}), "");
  EXPECT_EQ(validate(HeavyTailLatency{1ns, 1ns}), "");
  EXPECT_EQ(validate(HeavyTailLatency{1ms, 10s}), "");
}

// A fixed latency is drawn exactly and consumes no randomness.
// The longest latency each model can draw: what a round-trip bound uses.
TEST(Latency, MaxLatencyIsTheLongestAModelCanDraw) {
  EXPECT_EQ(max_latency(FixedLatency{3ms}), 3ms);
  EXPECT_EQ(max_latency(UniformLatency{1ms, 7ms}), 7ms);
  EXPECT_EQ(max_latency(HeavyTailLatency{1ms, 40ms}), 40ms);
  Rng rng(5);
  const LatencyModel tail = HeavyTailLatency{100us, 2ms};
  for (int i = 0; i < 10'000; ++i) EXPECT_LE(draw_latency(tail, rng), max_latency(tail));
}

TEST(Latency, FixedIsExactAndDrawsNothing) {
  Rng rng(7);
  Rng untouched(7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(draw_latency(FixedLatency{1234ns}, rng), 1234ns);
  EXPECT_EQ(rng.next_u64(), untouched.next_u64());
}

// Uniform draws stay within [min, max] and, over a small range, hit both
// ends and everything between.
TEST(Latency, UniformStaysInBoundsAndHitsBothEnds) {
  Rng rng(11);
  const UniformLatency model{100ns, 110ns};
  std::set<std::int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const Duration d = draw_latency(model, rng);
    ASSERT_GE(d, 100ns);
    ASSERT_LE(d, 110ns);
    seen.insert(d.count());
  }
  EXPECT_EQ(seen.size(), 11u);
  EXPECT_EQ(*seen.begin(), 100);
  EXPECT_EQ(*seen.rbegin(), 110);
}

// A one-point uniform range always gives that point.
TEST(Latency, UniformOnePointRange) {
  Rng rng(3);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(draw_latency(UniformLatency{7us, 7us}, rng), 7us);
}

// The heavy tail stays within [base, cap]; about half the draws are below
// 2·base (P = 1/2), and about one in a thousand is beyond 1000·base.
TEST(Latency, HeavyTailShape) {
  Rng rng(2024);
  const HeavyTailLatency model{1ms, 10s};
  constexpr int kDraws = 200'000;
  int below_two_base = 0;
  int beyond_thousand_base = 0;
  Duration largest{0};
  for (int i = 0; i < kDraws; ++i) {
    const Duration d = draw_latency(model, rng);
    ASSERT_GE(d, 1ms);
    ASSERT_LE(d, 10s);
    if (d < 2ms) ++below_two_base;
    if (d > 1s) ++beyond_thousand_base;
    largest = std::max(largest, d);
  }
  // Expected 100,000 (sd ~224) and ~205 (P ~ 2^-10: bucket k = 9 reaches 1.024s).
  EXPECT_GT(below_two_base, kDraws * 45 / 100);
  EXPECT_LT(below_two_base, kDraws * 55 / 100);
  EXPECT_GT(beyond_thousand_base, 50);
  EXPECT_LT(beyond_thousand_base, 800);
  EXPECT_GT(largest, 4s);
}

// With a cap four times the base, draws from the buckets at and beyond the
// cap (k >= 2, a quarter of them) are clipped to exactly the cap.
TEST(Latency, HeavyTailIsCapped) {
  Rng rng(5);
  const HeavyTailLatency model{1ms, 4ms};
  int at_cap = 0;
  for (int i = 0; i < 10'000; ++i) {
    const Duration d = draw_latency(model, rng);
    ASSERT_GE(d, 1ms);
    ASSERT_LE(d, 4ms);
    if (d == 4ms) ++at_cap;
  }
  EXPECT_GT(at_cap, 2000);
  EXPECT_LT(at_cap, 3000);
  Rng rng2(5);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(draw_latency(HeavyTailLatency{9us, 9us}, rng2), 9us);
}

// A valid model with durations near the top of the 64-bit range still draws
// within [base, cap] (no signed overflow while doubling the bucket).
TEST(Latency, HeavyTailNearTheTopOfTheRange) {
  Rng rng(99);
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const HeavyTailLatency model{Duration{std::int64_t{1} << 62}, Duration{max}};
  ASSERT_EQ(validate(model), "");
  for (int i = 0; i < 1000; ++i) {
    const Duration d = draw_latency(model, rng);
    ASSERT_GE(d, model.base);
    ASSERT_LE(d, model.cap);
  }
}

// The same seed gives the same latencies: draws depend on the Rng alone.
TEST(Latency, DrawsAreDeterministic) {
  Rng a(77);
  Rng b(77);
  const LatencyModel model = HeavyTailLatency{100us, 1s};
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(draw_latency(model, a), draw_latency(model, b));
}

// describe() names the model and prints its durations.
TEST(Latency, DescribeNamesTheModel) {
  EXPECT_EQ(describe(FixedLatency{100us}), "fixed 100us");
  EXPECT_EQ(describe(UniformLatency{100us, 2ms}), "uniform 100us..2ms");
  EXPECT_EQ(describe(HeavyTailLatency{1500us, 10s}), "heavy-tail base 1.5ms cap 10s");
}

// format_duration picks the largest unit that fits and prints the fraction
// exactly, without trailing zeros.
TEST(FormatDuration, ExactWithTheLargestUnit) {
  EXPECT_EQ(format_duration(0ns), "0ns");
  EXPECT_EQ(format_duration(999ns), "999ns");
  EXPECT_EQ(format_duration(1us), "1us");
  EXPECT_EQ(format_duration(1001ns), "1.001us");
  EXPECT_EQ(format_duration(1500us), "1.5ms");
  EXPECT_EQ(format_duration(12'345'678ns), "12.345678ms");
  EXPECT_EQ(format_duration(1s + 1ns), "1.000000001s");
  EXPECT_EQ(format_duration(90s), "90s");
}

// Negative durations carry a sign in front of the magnitude.
TEST(FormatDuration, NegativeDurations) {
  EXPECT_EQ(format_duration(-3s), "-3s");
  EXPECT_EQ(format_duration(-1ns), "-1ns");
  EXPECT_EQ(format_duration(-2500us), "-2.5ms");
}

// The extremes of the 64-bit range print exactly (INT64_MIN has no positive
// counterpart, so negating it naively would overflow).
TEST(FormatDuration, ExtremesDoNotOverflow) {
  EXPECT_EQ(format_duration(Duration{std::numeric_limits<std::int64_t>::min()}),
            "-9223372036.854775808s");
  EXPECT_EQ(format_duration(Duration{std::numeric_limits<std::int64_t>::max()}),
            "9223372036.854775807s");
}

}  // namespace
}  // namespace locklab::sim
