// Every checker of kCheckers over one finished run, in that order. The one
// place that knows how a scenario's settings become a checker's inputs (the
// liveness bound, for one, is computed from the algorithm's options here).
#pragma once

#include <vector>

#include "locklab/properties/liveness.hpp"
#include "locklab/properties/verdict.hpp"
#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios {

// The liveness checker's input: bounds from the lock's options and the
// workload, the last heal from the fault schedule.
properties::LivenessInput liveness_input(const Scenario& scenario, const RunReport& report);

std::vector<properties::Verdict> judge(const Scenario& scenario, const RunReport& report);

}  // namespace locklab::scenarios
