// The locklab command line. Today: `locklab demo`, the core simulation.
// Later issues add run, explore, check and matrix (see docs/).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "demo.hpp"

int main(int argc, char** argv) {
  CLI::App app{"locklab: distributed locks on Redis, simulated and real"};
  app.require_subcommand(1);

  locklab::tools::DemoOptions demo;
  std::string order = "fifo";
  std::string trace_path;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run the core simulation (echo server, five clients, every fault kind)");
  demo_cmd->add_option("--seed", demo.seed, "World seed")->capture_default_str();
  demo_cmd->add_option("--order", order, "Order of ready fibers")
      ->check(CLI::IsMember({"fifo", "random"}))
      ->capture_default_str();
  demo_cmd->add_option("--trace-jsonl", trace_path, "Write every trace record here as JSON Lines");

  CLI11_PARSE(app, argc, argv);

  if (demo_cmd->parsed()) {
    std::ofstream trace_file;
    if (!trace_path.empty()) {
      trace_file.open(trace_path);
      if (!trace_file) {
        std::cerr << "locklab: cannot write trace file '" << trace_path << "'\n";
        return 2;
      }
      demo.trace_jsonl = &trace_file;
    }
    demo.order = order == "random" ? locklab::sim::ReadyOrder::random : locklab::sim::ReadyOrder::fifo;
    const locklab::tools::DemoResult result = locklab::tools::run_demo(demo);
    std::cout << locklab::tools::format_demo(result);
    return result.run.status == locklab::sim::RunStatus::reached_time ? 0 : 1;
  }
  return 0;
}
