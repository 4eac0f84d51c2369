// The locklab subcommands. Each add_* registers one subcommand on the app;
// when it runs, it stores its exit code in `exit_code`:
//   0 clean, 1 findings or mismatches, 2 bad input (docs/cli.md).
#pragma once

#include <CLI/CLI.hpp>

namespace locklab::tools {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitBadInput = 2;

void add_run(CLI::App& app, int& exit_code);      // run FILE
void add_replay(CLI::App& app, int& exit_code);   // replay FILE
void add_check(CLI::App& app, int& exit_code);    // check DIR
void add_explore(CLI::App& app, int& exit_code);  // explore ...
void add_merge(CLI::App& app, int& exit_code);    // merge SUMMARY...
void add_demo(CLI::App& app, int& exit_code);     // demo: the headline demonstration
void add_core_demo(CLI::App& app, int& exit_code);  // core-demo: the simulation core alone

}  // namespace locklab::tools
