// The locklab subcommands. Each add_* registers one subcommand on the app;
// when it runs, it stores its exit code in `exit_code` (docs/cli.md):
//   0 clean; 1 a safety finding, or an expectation or trace hash mismatch;
//   2 bad input; 3 a liveness finding (and no safety one); 4 a world failed
//   (or, in explore, an internal error of ours), whatever else was found.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

#include "locklab/scenarios/runner.hpp"

namespace locklab::tools {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;  // a safety finding, or a mismatch
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitLiveness = 3;
inline constexpr int kExitWorldFailed = 4;

// The exit code of one finding's kind (clean when none).
inline int exit_code_of(std::optional<scenarios::FindingKind> kind) {
  if (!kind) return kExitClean;
  switch (*kind) {
    case scenarios::FindingKind::world_failed:
    case scenarios::FindingKind::internal: return kExitWorldFailed;
    case scenarios::FindingKind::safety: return kExitFindings;
    case scenarios::FindingKind::liveness: return kExitLiveness;
  }
  return kExitWorldFailed;
}

// Of two exit codes for findings, the more serious: 4, then 1, then 3, then 0.
inline int worse_exit(int a, int b) {
  const auto rank = [](int code) {
    switch (code) {
      case kExitWorldFailed: return 3;
      case kExitFindings: return 2;
      case kExitLiveness: return 1;
      default: return 0;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

void add_run(CLI::App& app, int& exit_code);      // run FILE
void add_replay(CLI::App& app, int& exit_code);   // replay FILE
void add_check(CLI::App& app, int& exit_code);    // check DIR
void add_explore(CLI::App& app, int& exit_code);  // explore ...
void add_merge(CLI::App& app, int& exit_code);    // merge SUMMARY...
void add_demo(CLI::App& app, int& exit_code);     // demo: the headline demonstration
void add_core_demo(CLI::App& app, int& exit_code);  // core-demo: the simulation core alone

}  // namespace locklab::tools
