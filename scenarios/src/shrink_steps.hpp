// scenarios/src/shrink_steps.hpp — the shrinker's simpler versions of a
// client's steps (shrink.cpp tries them; nothing here runs a world).
#pragma once

#include <vector>

#include "locklab/scenarios/steps.hpp"

namespace locklab::scenarios::detail {

// Each list differs from `steps` by one simplification, at any depth: a
// step removed; a repeat run once, half as often or once less; a repeat run
// once, or a guard, replaced by its steps; a manager's
// waiter removed; a write made once; a random hold made fixed, a hold or a
// sleep made zero. Simplest first (removals), in step order.
std::vector<std::vector<Step>> simpler_steps(const std::vector<Step>& steps);

}  // namespace locklab::scenarios::detail
