// locklab demo (the headline demonstration) and locklab core-demo (the
// simulation core's own demonstration, an echo service under every fault).
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "demo.hpp"
#include "headline.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::tools {

void add_demo(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<HeadlineOptions>();
  auto out = std::make_shared<std::string>(o->out.string());
  CLI::App* cmd = app.add_subcommand(
      "demo", "Find, shrink, save and replay a counterexample to the unfenced single-node lock; then fence it");
  cmd->add_option("--first-seed", o->first_seed, "Where the exploration starts")->capture_default_str();
  cmd->add_option("--out", *out, "Directory for the counterexample file")->capture_default_str();
  cmd->callback([o, out, &exit_code] {
    o->out = *out;
    try {
      const HeadlineResult r = run_headline(*o, std::cout);
      // Success is the whole story: found, replayed exactly, fenced safe.
      exit_code = r.finding && r.replay_matches && r.fenced_safe ? kExitClean : kExitFindings;
    } catch (const scenarios::ScenarioError& e) {
      std::cerr << e.what() << "\n";
      exit_code = kExitFindings;
    } catch (const std::runtime_error& e) {
      std::cerr << "locklab demo: " << e.what() << "\n";
      exit_code = kExitBadInput;
    }
  });
}

void add_core_demo(CLI::App& app, int& exit_code) {
  auto demo = std::make_shared<DemoOptions>();
  auto order = std::make_shared<std::string>("fifo");
  auto trace_path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "core-demo", "Run the core simulation (echo server, five clients, every fault kind)");
  cmd->add_option("--seed", demo->seed, "World seed")->capture_default_str();
  cmd->add_option("--order", *order, "Order of ready fibers")
      ->check(CLI::IsMember({"fifo", "random"}))
      ->capture_default_str();
  cmd->add_option("--trace-jsonl", *trace_path, "Write every trace record here as JSON Lines");
  cmd->callback([demo, order, trace_path, &exit_code] {
    std::ofstream trace_file;
    if (!trace_path->empty()) {
      trace_file.open(*trace_path);
      if (!trace_file) {
        std::cerr << "locklab: cannot write trace file '" << *trace_path << "'\n";
        exit_code = kExitBadInput;
        return;
      }
      demo->trace_jsonl = &trace_file;
    }
    demo->order = *order == "random" ? sim::ReadyOrder::random : sim::ReadyOrder::fifo;
    const DemoResult result = run_demo(*demo);
    std::cout << format_demo(result);
    exit_code = result.run.status == sim::RunStatus::reached_time ? kExitClean : kExitFindings;
  });
}

}  // namespace locklab::tools
