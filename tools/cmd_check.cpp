// locklab check DIR: every scenario with expectations, judged (and its trace hash
// compared, when the file records one); CI gates on it. A world that fails
// (a fiber threw, a budget ran out) is reported as such, not compared. With --update-hashes,
// a recorded trace hash the run no longer gives is rewritten in the file
// instead of reported, after a deliberate change to what the simulator does.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli_files.hpp"
#include "commands.hpp"
#include "locklab/scenarios/report.hpp"
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

// Rewrites the trace_hash of `file`, whose scenario is `s`, to `hash`,
// editing that one value in its text. The edit goes to a temporary file beside
// it, which must load back as `s` with the new hash before it is renamed over
// the original; otherwise the problem in words, and the original untouched.
std::optional<std::string> update_trace_hash(const fs::path& file, const scenarios::Scenario& s,
                                             std::uint64_t hash) {
  std::error_code ec;
  const fs::path target = fs::canonical(file, ec);  // through a symlink, not over it
  if (ec) return "cannot resolve it: " + ec.message();
  const std::optional<std::string> text = read_text(target);
  if (!text) return std::string("cannot read it");
  const std::expected<std::string, std::string> edited = scenarios::replace_trace_hash(*text, hash);
  if (!edited) return edited.error();
  const fs::path temp = fs::path(target).concat(".update-hashes.tmp");
  if (!write_text(temp, *edited)) return "cannot write " + temp.string();
  scenarios::Scenario expected = s;
  expected.trace_hash = hash;
  std::optional<std::string> problem;
  try {
    if (!(scenarios::load_scenario(temp) == expected)) problem = "the edited text loads as a different scenario";
  } catch (const scenarios::ScenarioError& e) {
    problem = std::string("the edited text does not load: ") + e.what();
  }
  if (!problem) {
    fs::permissions(temp, fs::status(target, ec).permissions(), ec);  // keep its mode
    fs::rename(temp, target, ec);
    if (ec) problem = "cannot rename " + temp.string() + " over it: " + ec.message();
  }
  if (problem) fs::remove(temp, ec);
  return problem;
}

int check_dir(const std::string& dir, bool update_hashes, std::optional<std::uint64_t> max_events) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::cerr << "locklab check: '" << dir << "' is not a directory\n";
    return kExitBadInput;
  }
  int checked = 0, mismatched = 0, bad = 0, skipped = 0, updated = 0, failed = 0;
  for (const fs::path& file : scenario_files(dir)) {
    scenarios::Scenario s;
    std::vector<scenarios::FaultPlace> places;
    try {
      s = scenarios::load_scenario(file, &places);
    } catch (const scenarios::ScenarioError& e) {
      std::cout << "BAD       " << e.what() << "\n";
      ++bad;
      continue;
    }
    if (s.expect.empty() && s.expect_steps.empty() && s.expect_clients.empty()) {
      std::cout << "skipped   " << file.string() << " (no [expect])\n";
      ++skipped;
      continue;
    }
    scenarios::RunOptions options;
    if (max_events) options.max_events = *max_events;
    const scenarios::RunReport r = scenarios::run_scenario(s, options);
    // A warning, not a mismatch: the file still gives what it expects.
    for (const std::string& w : scenarios::inapplicable_warnings(r, file.string(), places)) std::cerr << w << "\n";
    if (r.world_failed()) {
      // Its verdicts cover only the part that ran; none of them is compared.
      std::cout << fmt::format("FAILED    {}: the world failed: {} at {} ({})\n", file.string(),
                               sim::name_of(r.run.status), sim::format_duration(r.run.now.time_since_epoch()),
                               r.run.detail);
      ++checked;
      ++failed;
      continue;
    }
    std::vector<std::string> mismatches = scenarios::expectation_mismatches(s, r);
    // A recorded trace hash pins the run itself: a change to the simulator
    // or an algorithm that reorders a single event shows here, even when
    // the verdicts stay the same. --update-hashes records the new one
    // instead; the verdicts are still compared, so it never hides a change.
    if (std::optional<std::string> hash = scenarios::trace_hash_mismatch(s, r)) {
      if (!update_hashes) {
        mismatches.push_back(*hash);
      } else if (std::optional<std::string> problem = update_trace_hash(file, s, r.trace_hash)) {
        std::cout << "BAD       " << file.string() << ": cannot update its trace_hash: " << *problem << "\n";
        ++bad;
        mismatches.push_back(*hash);  // the file still records the old one
      } else {
        std::cout << fmt::format("updated   {}: 0x{:016x} -> 0x{:016x}\n", file.string(), *s.trace_hash,
                                 r.trace_hash);
        ++updated;
      }
    }
    ++checked;
    if (mismatches.empty()) {
      std::cout << "ok        " << file.string() << "\n";
      continue;
    }
    ++mismatched;
    for (const std::string& m : mismatches) std::cout << "MISMATCH  " << file.string() << ": " << m << "\n";
  }
  std::cout << fmt::format(
      "check: {} scenarios judged, {} mismatched, {} failed worlds, {} bad files, {} without expectations\n", checked,
      mismatched, failed, bad, skipped);
  if (update_hashes) std::cout << fmt::format("update-hashes: {} files updated\n", updated);
  if (failed > 0) return kExitWorldFailed;
  if (bad > 0) return kExitBadInput;
  return mismatched > 0 ? kExitFindings : kExitClean;
}

}  // namespace

void add_check(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  auto update_hashes = std::make_shared<bool>(false);
  auto max_events = std::make_shared<std::optional<std::uint64_t>>();
  CLI::App* cmd = app.add_subcommand("check", "Run every scenario with expectations in DIR; non-zero on any mismatch");
  cmd->add_option("dir", *dir, "Directory of scenario files (searched recursively)")->required();
  cmd->add_flag("--update-hashes", *update_hashes,
                "Rewrite each recorded trace_hash the run no longer gives (verdicts are still compared)");
  cmd->add_option("--max-events", *max_events,
                  "Each world's event budget; a world that exceeds it fails (exit 4)");
  cmd->callback([dir, update_hashes, max_events, &exit_code] {
    exit_code = check_dir(*dir, *update_hashes, *max_events);
  });
}

}  // namespace locklab::tools
