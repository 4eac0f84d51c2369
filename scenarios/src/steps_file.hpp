// scenarios/src/steps_file.hpp — a client's steps in a scenario file
// (scenario_file_steps.cpp reads them; scenario_file_write.cpp writes them).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "file_reader.hpp"
#include "locklab/scenarios/steps.hpp"

namespace locklab::scenarios::detail {

// The client's `steps` array; `redis_nodes` are the names a command step may
// send to. Throws ScenarioError at the offending step and field.
std::vector<Step> read_steps(const TableReader& client, std::span<const std::string> redis_nodes,
                             std::span<const std::string> locks);

}  // namespace locklab::scenarios::detail
