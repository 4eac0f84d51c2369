#include "judge.hpp"

#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"

namespace locklab::scenarios {

std::vector<properties::Verdict> judge(const Scenario& /*scenario*/, const RunReport& report) {
  std::vector<properties::Verdict> verdicts;
  verdicts.push_back(properties::check_mutual_exclusion(report.history, report.faults));
  verdicts.push_back(properties::check_resource_safety(report.history, report.storage, report.faults));
  return verdicts;
}

}  // namespace locklab::scenarios
