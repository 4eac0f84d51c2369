// Small seeded draws for the fault generator (random_faults.cpp). Private to
// scenarios/src; pure functions over the caller's Rng.
#pragma once

#include <vector>

#include "locklab/sim/ids.hpp"
#include "locklab/sim/rng.hpp"

namespace locklab::scenarios::detail {

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

}  // namespace locklab::scenarios::detail
