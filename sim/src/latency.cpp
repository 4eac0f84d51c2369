#include "locklab/sim/latency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "locklab/assert.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::sim {

namespace {

using detail::Overloaded;

}  // namespace

std::string validate(const LatencyModel& model) {
  return std::visit(
      Overloaded{
          [](const FixedLatency& m) -> std::string {
            return m.value.count() < 0 ? "fixed latency must not be negative" : "";
          },
          [](const UniformLatency& m) -> std::string {
            if (m.min.count() < 0) return "uniform latency min must not be negative";
            if (m.max < m.min) return "uniform latency max must be >= min";
            return "";
          },
          [](const HeavyTailLatency& m) -> std::string {
            if (m.base.count() <= 0) return "heavy-tail latency base must be positive";
            if (m.cap < m.base) return "heavy-tail latency cap must be >= base";
            return "";
          },
      },
      model);
}

Duration max_latency(const LatencyModel& model) {
  return std::visit(detail::Overloaded{
                        [](const FixedLatency& f) { return f.value; },
                        [](const UniformLatency& u) { return u.max; },
                        [](const HeavyTailLatency& h) { return h.cap; },
                    },
                    model);
}

Duration draw_latency(const LatencyModel& model, Rng& rng) {
  return std::visit(
      Overloaded{
          [](const FixedLatency& m) { return m.value; },
          [&rng](const UniformLatency& m) {
            return Duration{rng.between(m.min.count(), m.max.count())};
          },
          [&rng](const HeavyTailLatency& m) {
            // k = number of heads before the first tail: P(k) = 1/2^(k+1).
            const std::uint64_t bits = rng.next_u64();
            const int k = std::countr_one(bits);
            std::int64_t low = m.base.count();
            for (int i = 0; i < k && low <= m.cap.count() / 2; ++i) low *= 2;
            // Fix (found by latency_test under UBSan): low * 2 overflowed when
            // low > INT64_MAX / 2. Past cap / 2 the bucket's top is the cap
            // anyway, so this gives the same draws without the overflow.
            const std::int64_t high =
                low > m.cap.count() / 2 ? m.cap.count() : std::min(low * 2 - 1, m.cap.count());
            if (low >= m.cap.count()) return m.cap;
            return Duration{rng.between(low, high)};
          },
      },
      model);
}

std::string describe(const LatencyModel& model) {
  return std::visit(Overloaded{
                        [](const FixedLatency& m) {
                          return fmt::format("fixed {}", format_duration(m.value));
                        },
                        [](const UniformLatency& m) {
                          return fmt::format("uniform {}..{}", format_duration(m.min),
                                             format_duration(m.max));
                        },
                        [](const HeavyTailLatency& m) {
                          return fmt::format("heavy-tail base {} cap {}",
                                             format_duration(m.base), format_duration(m.cap));
                        },
                    },
                    model);
}

}  // namespace locklab::sim
