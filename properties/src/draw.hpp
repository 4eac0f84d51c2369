// Small seeded draws shared by the fault generators.
#pragma once

#include <vector>

#include "locklab/sim/ids.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::properties::detail {

inline sim::Duration draw_duration(sim::Rng& rng, sim::Duration lo, sim::Duration hi) {
  return sim::Duration(rng.between(lo.count(), hi.count()));
}

inline sim::TrueTime draw_time(sim::Rng& rng, sim::Duration horizon) {
  return sim::true_time(draw_duration(rng, sim::Duration(0), horizon - sim::Duration(1)));
}

template <typename T>
const T& pick(sim::Rng& rng, const std::vector<T>& v) {
  return v[rng.below(v.size())];
}

// A non-empty random subset, in the vector's order.
inline std::vector<sim::ProcessId> subset(sim::Rng& rng, const std::vector<sim::ProcessId>& v) {
  std::vector<sim::ProcessId> out;
  for (sim::ProcessId p : v) {
    if (rng.chance(1, 2)) out.push_back(p);
  }
  if (out.empty()) out.push_back(pick(rng, v));
  return out;
}

}  // namespace locklab::properties::detail
