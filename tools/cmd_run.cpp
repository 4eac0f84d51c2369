// locklab run FILE and locklab replay FILE: one world from a scenario file.
#include <fmt/format.h>

#include <iostream>

#include "cli_files.hpp"
#include "commands.hpp"
#include "locklab/scenarios/report.hpp"
#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::tools {
namespace {

struct RunArgs {
  std::string file;
  std::optional<std::uint64_t> seed;
  std::string trace_path;
  std::string history_path;
  std::optional<std::uint64_t> max_events;
};

// The file's scenario, or nullopt once the loader's error is on stderr.
std::optional<scenarios::Scenario> load(const std::string& file, std::vector<scenarios::FaultPlace>& places) {
  try {
    return scenarios::load_scenario(file, &places);
  } catch (const scenarios::ScenarioError& e) {
    std::cerr << e.what() << "\n";
    return std::nullopt;
  }
}

// A fault that could not apply is worth a warning: the file says something
// the world did not do.
void warn_inapplicable(const scenarios::RunReport& r, const std::string& file,
                       const std::vector<scenarios::FaultPlace>& places) {
  for (const std::string& line : scenarios::inapplicable_warnings(r, file, places)) std::cerr << line << "\n";
}

int run_file(const RunArgs& a) {
  std::vector<scenarios::FaultPlace> places;
  const std::optional<scenarios::Scenario> loaded = load(a.file, places);
  if (!loaded) return kExitBadInput;
  const scenarios::Scenario& s = *loaded;
  const std::uint64_t seed = a.seed.value_or(s.seed);
  std::cout << "seed " << seed << "\n" << std::flush;  // first, so even a crash leaves it

  std::optional<std::ofstream> trace;
  if (!a.trace_path.empty() && !(trace = open_output(a.trace_path))) return kExitBadInput;
  scenarios::RunOptions options{.seed = seed, .trace_jsonl = trace ? &*trace : nullptr};
  if (a.max_events) options.max_events = *a.max_events;
  const scenarios::RunReport r = scenarios::run_scenario(s, options);
  if (!a.history_path.empty() && !write_text(a.history_path, r.history.to_jsonl())) return kExitBadInput;
  warn_inapplicable(r, a.file, places);

  std::cout << scenarios::format_report(s, r);
  const std::optional<scenarios::FindingKind> found = r.finding();
  if (found) {
    std::cout << fmt::format("finding: {}\nreproduce: {} run {} --seed {}{}\n", scenarios::name_of(*found), kProgram, a.file,
                             seed, a.max_events ? fmt::format(" --max-events {}", *a.max_events) : "");
  }
  return exit_code_of(found);
}

int replay_file(const std::string& file, std::optional<std::uint64_t> max_events) {
  std::vector<scenarios::FaultPlace> places;
  const std::optional<scenarios::Scenario> loaded = load(file, places);
  if (!loaded) return kExitBadInput;
  const scenarios::Scenario& s = *loaded;
  std::cout << "seed " << s.seed << "\n" << std::flush;
  scenarios::RunOptions options;
  if (max_events) options.max_events = *max_events;
  const scenarios::RunReport r = scenarios::run_scenario(s, options);
  warn_inapplicable(r, file, places);
  std::cout << scenarios::format_report(s, r);
  // The world's own findings first; a mismatch is 1 unless the world failed.
  int code = exit_code_of(r.finding());
  if (!s.trace_hash) {
    std::cout << fmt::format("replay: no trace hash in the file; this run's is {:016x}\n", r.trace_hash);
  } else if (const std::optional<std::string> hash = scenarios::trace_hash_mismatch(s, r)) {
    std::cout << "replay: MISMATCH: " << *hash << "\n";
    code = worse_exit(code, kExitFindings);
  } else {
    std::cout << fmt::format("replay: trace hash {:016x} matches the file: the same world, event for event\n",
                             r.trace_hash);
  }
  for (const std::string& m : scenarios::expectation_mismatches(s, r)) {
    std::cout << "replay: expectation " << m << "\n";
    code = worse_exit(code, kExitFindings);
  }
  return code;
}

}  // namespace

void add_run(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run one scenario file: the seed, then verdicts and the story of any violation");
  cmd->add_option("file", args->file, "Scenario file (TOML)")->required();
  cmd->add_option("--seed", args->seed, "Replace the file's seed");
  cmd->add_option("--trace", args->trace_path, "Write every trace record here as JSON Lines");
  cmd->add_option("--history", args->history_path, "Write the history here as JSON Lines");
  cmd->add_option("--max-events", args->max_events,
                  "The world's event budget; a run that exceeds it fails (exit 4)");
  cmd->callback([args, &exit_code] { exit_code = run_file(*args); });
}

void add_replay(CLI::App& app, int& exit_code) {
  auto file = std::make_shared<std::string>();
  auto max_events = std::make_shared<std::optional<std::uint64_t>>();
  CLI::App* cmd = app.add_subcommand("replay", "Re-run a scenario file and verify its recorded trace hash");
  cmd->add_option("file", *file, "Scenario file (TOML)")->required();
  cmd->add_option("--max-events", *max_events,
                  "The world's event budget; a run that exceeds it fails (exit 4)");
  cmd->callback([file, max_events, &exit_code] { exit_code = replay_file(*file, *max_events); });
}

}  // namespace locklab::tools
