// locklab explore: many seeded worlds, every failure shrunk and written as a
// scenario file; and locklab merge, which joins the summaries of shards.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>

#include "cli_files.hpp"
#include "commands.hpp"
#include "locklab/scenarios/explore.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::tools {
namespace {

namespace fs = std::filesystem;

struct ExploreArgs {
  std::string algorithm = "any";
  std::string mode = "within";
  std::optional<std::uint64_t> seeds;
  std::string time;
  std::uint64_t first_seed = 0;
  int jobs = 1;
  std::string shard = "1/1";
  std::string out = "locklab-findings";
  int faults = 20;
  std::vector<std::string> classes;
  std::string fencing = "any";
  bool steps = false;
  bool no_shrink = false;
  std::uint64_t max_events = scenarios::RunOptions{}.max_events;
  bool quiet = false;
};

// "K/N" with 1 <= K <= N.
std::optional<scenarios::Shard> parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  try {
    std::size_t used_k = 0, used_n = 0;
    const std::uint64_t k = std::stoull(text.substr(0, slash), &used_k);
    const std::uint64_t n = std::stoull(text.substr(slash + 1), &used_n);
    if (used_k != slash || used_n != text.size() - slash - 1 || k < 1 || n < 1 || k > n) return std::nullopt;
    return scenarios::Shard{k, n};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Builds the options; an error message instead when the arguments are bad.
std::variant<scenarios::ExploreOptions, std::string> options_of(const ExploreArgs& a) {
  scenarios::ExploreOptions o;
  if (a.algorithm != "any") {
    const auto alg = scenarios::algorithm_named(a.algorithm);
    if (!alg) return fmt::format("--algorithm: unknown algorithm '{}' (naive, naive_setnx, single_node, redlock, any)", a.algorithm);
    o.generator.algorithm = *alg;
  }
  const auto mode = scenarios::mode_named(a.mode);
  if (!mode) return fmt::format("--mode: '{}' is neither within nor beyond", a.mode);
  o.generator.mode = *mode;
  for (const std::string& c : a.classes) {
    const auto fc = scenarios::fault_class_named(c);
    if (!fc) return fmt::format("--classes: unknown fault class '{}'", c);
    o.generator.classes.push_back(*fc);
  }
  if (a.fencing == "on") o.generator.fencing = true;
  else if (a.fencing == "off") o.generator.fencing = false;
  else if (a.fencing != "any") return fmt::format("--fencing: '{}' is not on, off or any", a.fencing);
  o.generator.steps = a.steps;
  if (a.faults < 0 || a.faults > 10'000) return fmt::format("--faults: {} is not in [0, 10000]", a.faults);
  o.generator.faults = a.faults;
  const auto shard = parse_shard(a.shard);
  if (!shard) return fmt::format("--shard: '{}' is not K/N with 1 <= K <= N", a.shard);
  o.shard = *shard;
  if (a.jobs < 1 || a.jobs > 256) return fmt::format("--jobs: {} is not in [1, 256]", a.jobs);
  o.jobs = a.jobs;
  o.first_seed = a.first_seed;
  o.shrink = !a.no_shrink;
  if (a.max_events < 1) return fmt::format("--max-events: {} is not a positive count", a.max_events);
  o.max_events = a.max_events;
  if (!a.time.empty()) {
    const auto limit = scenarios::parse_duration(a.time);
    if (!limit || *limit <= sim::Duration::zero()) return fmt::format("--time: '{}' is not a positive duration like 10m", a.time);
    o.seeds.reset();
    const auto end = std::chrono::steady_clock::now() + *limit;  // the CLI may read real time; worlds never do
    o.keep_going = [end] { return std::chrono::steady_clock::now() < end; };
  } else {
    o.seeds = a.seeds.value_or(100);
  }
  return o;
}

// "[#######.............] " for a known total; nothing for a time limit.
std::string progress_bar(std::uint64_t done, std::optional<std::uint64_t> total) {
  if (!total || *total == 0) return {};
  constexpr std::uint64_t kWidth = 24;
  const std::uint64_t filled = std::min(kWidth, done * kWidth / *total);
  return "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
}

std::string file_name(const scenarios::Finding& f, std::string_view mode) {
  return fmt::format("{}-{}-seed-{}.toml", scenarios::name_of(f.original.algorithm.kind), mode, f.seed);
}

int explore_command(const ExploreArgs& a) {
  auto parsed = options_of(a);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::cerr << "locklab explore: " << *error << "\n";
    return kExitBadInput;
  }
  scenarios::ExploreOptions o = std::get<scenarios::ExploreOptions>(std::move(parsed));
  std::cout << fmt::format("explore: algorithm {}, mode {}, seeds {} from {}, shard {}, {} job{}\n", a.algorithm,
                           a.mode, o.seeds ? std::to_string(*o.seeds) : "until " + a.time, o.first_seed, a.shard,
                           o.jobs, o.jobs == 1 ? "" : "s")
            << std::flush;
  const auto started = std::chrono::steady_clock::now();
  // This shard's share of the seeds, for the bar (none when time-limited).
  const std::optional<std::uint64_t> mine =
      o.seeds ? std::optional<std::uint64_t>(scenarios::seeds_in_shard(*o.seeds, o.shard)) : std::nullopt;
  const bool tty = isatty(STDERR_FILENO) == 1 && !a.quiet;
  o.on_progress = [&, last = std::chrono::steady_clock::time_point{}](const scenarios::ExploreProgress& p) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (!tty || now - last < std::chrono::milliseconds(200)) return;
    last = now;
    const double secs = std::chrono::duration<double>(now - started).count();
    std::cerr << fmt::format("\r  {}{} worlds, {:.0f} worlds/s, {} finding{}   ", progress_bar(p.worlds, mine),
                             p.worlds, secs > 0 ? static_cast<double>(p.worlds) / secs : 0.0, p.findings,
                             p.findings == 1 ? "" : "s")
              << std::flush;
  };
  const scenarios::ExploreSummary summary = scenarios::explore(o);
  if (tty) std::cerr << "\n";

  int code = kExitClean;
  for (const scenarios::Finding& f : summary.findings) {
    const std::string what = f.violated.empty() ? std::string(scenarios::name_of(f.kind))
                                                : fmt::format("{}: {} violated", scenarios::name_of(f.kind),
                                                              fmt::join(f.violated, ", "));
    std::cout << fmt::format("finding: seed {}: {}{}\n  {}\n", f.seed, what,
                             f.shrunk ? fmt::format(" (shrunk to {} faults, {} clients)", f.shrunk->scenario.faults.size(),
                                                    f.shrunk->scenario.clients.size())
                                      : "",
                             f.summary.substr(0, f.summary.find("; ")));
    if (!f.causes.empty()) std::cout << fmt::format("  cause: {}\n", fmt::join(f.causes, ", "));
    if (f.replayable) {
      const fs::path file = fs::path(a.out) / file_name(f, a.mode);
      if (!write_text(file, scenarios::to_toml(scenarios::counterexample_of(f, a.mode)))) return kExitBadInput;
      if (f.kind == scenarios::FindingKind::world_failed && f.max_events != scenarios::RunOptions{}.max_events) {
        std::cout << fmt::format("  reproduce: {} run {} --max-events {}\n", kProgram, file.string(), f.max_events);
      } else {
        std::cout << fmt::format("  reproduce: {} replay {}\n", kProgram, file.string());
      }
    }
    code = worse_exit(code, exit_code_of(f.kind));
  }
  const nlohmann::json json = scenarios::to_json(summary, [&](const scenarios::Finding& f) {
    return (fs::path(a.out) / file_name(f, a.mode)).string();
  });
  const fs::path summary_file = fs::path(a.out) / fmt::format("summary-{}-of-{}.json", o.shard.index, o.shard.count);
  if (!write_text(summary_file, json.dump(2) + "\n")) return kExitBadInput;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string kinds;
  for (const auto& [kind, n] : json.at("kinds").items()) {
    if (n.get<int>() > 0) kinds += fmt::format("{}{} {}", kinds.empty() ? " (" : ", ", n.get<int>(), kind);
  }
  if (!kinds.empty()) kinds += ")";
  std::cout << fmt::format("explore: {} worlds in {:.1f}s ({:.0f}/s), {} finding{}{}; summary in {}\n",
                           summary.worlds_run.size(), secs,
                           secs > 0 ? static_cast<double>(summary.worlds_run.size()) / secs : 0.0,
                           summary.findings.size(), summary.findings.size() == 1 ? "" : "s", kinds,
                           summary_file.string());
  return code;
}

int merge_command(const std::vector<std::string>& files, const std::string& out) {
  std::vector<nlohmann::json> parts;
  for (const std::string& f : files) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "locklab merge: cannot read '" << f << "'\n";
      return kExitBadInput;
    }
    try {
      parts.push_back(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception& e) {
      std::cerr << "locklab merge: '" << f << "' is not a summary: " << e.what() << "\n";
      return kExitBadInput;
    }
  }
  nlohmann::json merged;
  int code = kExitClean;
  try {
    merged = scenarios::merge(parts);
    for (const nlohmann::json& f : merged.at("findings")) {
      const std::string kind = f.at("kind").get<std::string>();
      for (const scenarios::FindingKind k : {scenarios::FindingKind::world_failed, scenarios::FindingKind::internal,
                                             scenarios::FindingKind::safety, scenarios::FindingKind::liveness}) {
        if (kind == scenarios::name_of(k)) code = worse_exit(code, exit_code_of(k));
      }
    }
  } catch (const std::exception& e) {  // invalid_argument, or json's type and key errors
    std::cerr << "locklab " << e.what() << "\n";
    return kExitBadInput;
  }
  if (out.empty()) {
    std::cout << merged.dump(2) << "\n";
  } else if (!write_text(out, merged.dump(2) + "\n")) {
    return kExitBadInput;
  }
  return code;
}

}  // namespace

void add_explore(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ExploreArgs>();
  CLI::App* cmd = app.add_subcommand("explore", "Run many seeded random worlds; shrink and save every failure");
  cmd->add_option("--algorithm", a->algorithm, "naive, naive_setnx, single_node, redlock, or any")->capture_default_str();
  cmd->add_option("--mode", a->mode, "within or beyond the algorithm's assumptions")->capture_default_str();
  auto* seeds = cmd->add_option("--seeds", a->seeds, "Seeds in the whole space, over all shards (default 100)");
  cmd->add_option("--time", a->time, "Run until this much wall-clock time has passed (e.g. 10m)")->excludes(seeds);
  cmd->add_option("--first-seed", a->first_seed, "The first seed of the space")->capture_default_str();
  cmd->add_option("--jobs", a->jobs, "Worker threads")->capture_default_str();
  cmd->add_option("--shard", a->shard, "Run part K of N of the seed space")->capture_default_str();
  cmd->add_option("--out", a->out, "Directory for counterexample files and the JSON summary")->capture_default_str();
  cmd->add_option("--faults", a->faults, "Fault records drawn per world")->capture_default_str();
  cmd->add_option("--classes", a->classes, "Only these fault classes (client_pause, server_pause, client_crash, "
                                           "server_crash, partition, delay, clock_jump, drift, failover)")->delimiter(',');
  cmd->add_option("--fencing", a->fencing, "on, off or any")->capture_default_str();
  cmd->add_flag("--steps", a->steps,
                "Half the clients run step workloads of every lock component (extends, watchdogs, lock managers, "
                "mutexes, guards)");
  cmd->add_flag("--no-shrink", a->no_shrink, "Save failures as found, unshrunk");
  cmd->add_option("--max-events", a->max_events,
                  "Each world's event budget; a world that exceeds it is a world_failed finding")
      ->capture_default_str();
  cmd->add_flag("--quiet", a->quiet, "No progress line");
  cmd->callback([a, &exit_code] { exit_code = explore_command(*a); });
}

void add_merge(CLI::App& app, int& exit_code) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("merge", "Join the JSON summaries of explore shards into one");
  cmd->add_option("summaries", *files, "summary-K-of-N.json files")->required();
  cmd->add_option("-o,--out", *out, "Write the merged summary here (default: stdout)");
  cmd->callback([files, out, &exit_code] { exit_code = merge_command(*files, *out); });
}

}  // namespace locklab::tools
