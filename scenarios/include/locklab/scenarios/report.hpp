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
#include <string_view>
#include <vector>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {

std::string format_report(const Scenario& scenario, const RunReport& report);

// The story of one violation (empty for a verdict without one).
std::string format_story(const properties::Verdict& verdict);

// One warning per fault of the run that could not apply, naming it by its
// place in `file` (`places` from load_scenario(); an entry it lacks is named
// by its index in Scenario::faults):
// "f.toml:64: warning: fault[4] (restart redis-0 at 150ms) cannot apply:
// process is up; it changes nothing and can be removed".
std::vector<std::string> inapplicable_warnings(const RunReport& report, std::string_view file,
                                               const std::vector<FaultPlace>& places);

// "redlock over 5 masters, 3 clients, 4 faults, 1 failover, 10s".
std::string describe_scenario(const Scenario& scenario);

}  // namespace locklab::scenarios
