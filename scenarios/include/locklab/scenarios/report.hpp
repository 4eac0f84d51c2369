// locklab/scenarios/report.hpp — a run, in words, for people.
//
// Provides format_report(): what `locklab run` prints after the seed: the
// scenario in one line, how the run ended (with its trace hash), the
// acquisitions by outcome, the faults applied, a verdict per checker and,
// for each violation, its story — the two grants (who, when invoked, what
// they believed and what ended it), the writes involved, and the faults
// around it.
//
// Deliberately absent: colour, widths that depend on a terminal, anything
// not derived from the scenario and its report (the same run prints the
// same text).
//
//   std::cout << "seed " << report.seed << "\n" << format_report(scenario, report);
#pragma once

#include <string>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios {

std::string format_report(const Scenario& scenario, const RunReport& report);

// The story of one violation (empty for a verdict without one).
std::string format_story(const properties::Verdict& verdict);

// "redlock over 5 masters, 3 clients, 4 faults, 1 failover, 10s".
std::string describe_scenario(const Scenario& scenario);

}  // namespace locklab::scenarios
