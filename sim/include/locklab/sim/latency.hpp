// locklab/sim/latency.hpp — how long a message takes on a link.
//
// Provides LatencyModel, one of:
//   FixedLatency{d}              every message takes d;
//   UniformLatency{lo, hi}       uniform in [lo, hi];
//   HeavyTailLatency{base, cap}  a discrete Pareto law with tail exponent 1:
//       with probability 1/2^(k+1) the latency falls in [base·2^k, base·2^(k+1)),
//       uniform inside that bucket, capped at `cap`. Half the messages take
//       less than 2·base; one in a thousand takes over 1000·base.
// All draws are integer nanoseconds from the caller's Rng (no floating point).
//
//   LatencyModel m = UniformLatency{100us, 300us};
//   Duration d = draw_latency(m, rng);
#pragma once

#include <string>
#include <variant>

#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

struct FixedLatency {
  Duration value{0};
  bool operator==(const FixedLatency&) const = default;
};
struct UniformLatency {
  Duration min{0};
  Duration max{0};
  bool operator==(const UniformLatency&) const = default;
};
struct HeavyTailLatency {
  Duration base{0};
  Duration cap{0};
  bool operator==(const HeavyTailLatency&) const = default;
};

using LatencyModel = std::variant<FixedLatency, UniformLatency, HeavyTailLatency>;

// Empty if the model is valid, else what is wrong with it.
std::string validate(const LatencyModel& model);

Duration draw_latency(const LatencyModel& model, Rng& rng);

// The longest latency the model can draw (a heavy tail's cap).
Duration max_latency(const LatencyModel& model);

std::string describe(const LatencyModel& model);

}  // namespace locklab::sim
