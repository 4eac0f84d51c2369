// locklab check DIR: every scenario with expectations, judged (and its trace hash
// compared, when the file records one); CI gates on it.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::tools {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> scenario_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // a stable order on every file system
  return files;
}

int check_dir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::cerr << "locklab check: '" << dir << "' is not a directory\n";
    return kExitBadInput;
  }
  int checked = 0, mismatched = 0, bad = 0, skipped = 0;
  for (const fs::path& file : scenario_files(dir)) {
    scenarios::Scenario s;
    try {
      s = scenarios::load_scenario(file);
    } catch (const scenarios::ScenarioError& e) {
      std::cout << "BAD       " << e.what() << "\n";
      ++bad;
      continue;
    }
    if (s.expect.empty()) {
      std::cout << "skipped   " << file.string() << " (no [expect])\n";
      ++skipped;
      continue;
    }
    const scenarios::RunReport r = scenarios::run_scenario(s);
    std::vector<std::string> mismatches = scenarios::expectation_mismatches(s, r);
    // A recorded trace hash pins the run itself: a change to the simulator
    // or an algorithm that reorders a single event shows here, even when
    // the verdicts stay the same.
    if (std::optional<std::string> hash = scenarios::trace_hash_mismatch(s, r)) mismatches.push_back(*hash);
    ++checked;
    if (mismatches.empty()) {
      std::cout << "ok        " << file.string() << "\n";
      continue;
    }
    ++mismatched;
    for (const std::string& m : mismatches) std::cout << "MISMATCH  " << file.string() << ": " << m << "\n";
  }
  std::cout << fmt::format("check: {} scenarios judged, {} mismatched, {} bad files, {} without expectations\n",
                           checked, mismatched, bad, skipped);
  if (bad > 0) return kExitBadInput;
  return mismatched > 0 ? kExitFindings : kExitClean;
}

}  // namespace

void add_check(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("check", "Run every scenario with expectations in DIR; non-zero on any mismatch");
  cmd->add_option("dir", *dir, "Directory of scenario files (searched recursively)")->required();
  cmd->callback([dir, &exit_code] { exit_code = check_dir(*dir); });
}

}  // namespace locklab::tools
