// The locklab command line: run, replay, check, explore, merge, demo and
// core-demo. Exit codes (docs/cli.md, commands.hpp): 0 clean, 1 a safety
// finding or a mismatch, 2 bad input (a bad scenario file or bad arguments),
// 3 a liveness finding, 4 a world failed.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  namespace tools = locklab::tools;
  CLI::App app{"locklab: distributed locks on Redis, simulated and real"};
  app.require_subcommand(1);
  int exit_code = tools::kExitClean;
  tools::add_run(app, exit_code);
  tools::add_replay(app, exit_code);
  tools::add_check(app, exit_code);
  tools::add_explore(app, exit_code);
  tools::add_merge(app, exit_code);
  tools::add_demo(app, exit_code);
  tools::add_core_demo(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);  // prints the message
    return tools::kExitBadInput;
  }
  return exit_code;
}
