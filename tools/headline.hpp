// The headline demonstration (`locklab demo`, the README's first command):
// an exploration over client pauses and message delays finds a
// counterexample for the unfenced single-node lock beyond its assumptions,
// shrinks it, writes the scenario file, replays it from the file (same
// verdicts, same trace hash), and runs the fenced variant on the same
// schedule to show it is safe. No Redis server; a few seconds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "locklab/scenarios/explore.hpp"
#include "locklab/scenarios/runner.hpp"

namespace locklab::tools {

struct HeadlineOptions {
  std::uint64_t first_seed = 0;
  std::uint64_t max_seeds = 500;
  std::filesystem::path out = "locklab-demo";
};

struct HeadlineResult {
  std::optional<scenarios::Finding> finding;  // none: no counterexample in max_seeds
  std::uint64_t worlds = 0;
  std::filesystem::path file;
  scenarios::Scenario counterexample;
  bool replay_matches = false;  // same trace hash and verdicts from the file
  scenarios::Scenario fenced;
  scenarios::RunReport fenced_report;
  bool fenced_safe = false;
};

// Runs the demonstration, narrating to `out`. Throws ScenarioError if the
// written file cannot be read back, std::runtime_error if it cannot be written.
HeadlineResult run_headline(const HeadlineOptions& options, std::ostream& out);

}  // namespace locklab::tools
