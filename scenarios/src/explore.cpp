// explore(): worker threads over a shard of the seed space.
#include "locklab/scenarios/explore.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "locklab/assert.hpp"
#include "locklab/scenarios/cause.hpp"
#include "locklab/scenarios/runner.hpp"

namespace locklab::scenarios {
namespace {

// The seed's world, run and judged; a finding when it found anything. Never
// throws: an exception is itself an internal finding.
std::optional<Finding> judge_seed(std::uint64_t seed, const ExploreOptions& o) {
  Finding f;
  f.seed = seed;
  f.max_events = o.max_events;
  try {
    f.original = generate_scenario(seed, o.generator);
  } catch (const std::exception& e) {
    f.kind = FindingKind::internal;
    f.summary = fmt::format("the generator threw: {}", e.what());
    f.threw = true;
    f.replayable = false;
    return f;
  }
  f.within_assumptions = is_within(f.original, envelope_for(f.original, Mode::within));
  try {
    const RunReport report = run_scenario(f.original, {.max_events = o.max_events});
    for (const properties::Verdict& v : report.verdicts) {
      if (v.kind != properties::Verdict::Kind::violation) continue;
      // The finding is about its most serious checker: a safety one when
      // any is violated, so shrinking keeps what gives the finding its kind.
      if (f.violated.empty() || (!is_safety_checker(f.checker) && is_safety_checker(v.checker))) {
        f.checker = v.checker;
        f.summary = v.summary;
      }
      f.violated.push_back(v.checker);
    }
    const std::optional<FindingKind> kind = report.finding();
    if (!kind) return std::nullopt;
    f.kind = *kind;
    if (f.kind == FindingKind::world_failed) {
      f.summary = fmt::format("the world failed: {} at {} after {} events ({})", sim::name_of(report.run.status),
                              sim::format_duration(report.run.now.time_since_epoch()), report.run.events,
                              report.run.detail);
      f.causes = cause_classes(f.original);
      return f;
    }
    if (o.shrink) f.shrunk = shrink(f.original, f.checker, o.shrinking);
    f.kind = finding_kind(report, f.shrunk ? f.shrunk->scenario : f.original).value_or(f.kind);
  } catch (const std::exception& e) {
    f.kind = FindingKind::internal;
    f.summary = fmt::format("the world threw: {}", e.what());
    f.threw = true;
    f.shrunk.reset();
  }
  f.causes = cause_classes(f.shrunk ? f.shrunk->scenario : f.original);
  return f;
}

// The n-th seed (0-based) of the shard.
std::uint64_t nth_seed(const ExploreOptions& o, std::uint64_t n) {
  return o.first_seed + (o.shard.index - 1) + n * o.shard.count;
}

}  // namespace

std::optional<FindingKind> finding_kind(const RunReport& report, const Scenario& judged) {
  const std::optional<FindingKind> kind = report.finding();
  if (kind && kind != FindingKind::world_failed && judged.faults.empty() && judged.failovers.empty() &&
      is_within(judged, envelope_for(judged, Mode::within))) {
    return FindingKind::internal;
  }
  return kind;
}

nlohmann::json kind_counts(const nlohmann::json& findings) {
  nlohmann::json counts = nlohmann::json::object();
  for (const FindingKind k : {FindingKind::world_failed, FindingKind::internal, FindingKind::safety,
                              FindingKind::liveness}) {
    counts[std::string(name_of(k))] = 0;
  }
  for (const nlohmann::json& f : findings) {
    const std::string kind = f.at("kind").get<std::string>();
    if (!counts.contains(kind)) throw std::invalid_argument("merge: unknown finding kind '" + kind + "'");
    counts[kind] = counts[kind].get<int>() + 1;
  }
  return counts;
}

Scenario counterexample_of(const Finding& f, std::string_view mode) {
  LOCKLAB_ASSERT(f.replayable);
  if (f.threw) {
    // Nothing to run again for its verdicts: the file is the world as drawn.
    Scenario s = f.original;
    s.name = fmt::format("{}-{}-seed-{}", name_of(s.algorithm.kind), mode, f.seed);
    s.description = fmt::format("Found by locklab explore ({} assumptions) at seed {}: {}", mode, f.seed, f.summary);
    s.expect.clear();
    s.trace_hash.reset();
    return s;
  }
  const bool shrunk = f.shrunk.has_value();
  Scenario s = shrunk ? f.shrunk->scenario : f.original;
  const RunReport report = shrunk ? RunReport{} : run_scenario(s, {.max_events = f.max_events});
  const RunReport& r = shrunk ? f.shrunk->report : report;
  s.name = fmt::format("{}-{}-seed-{}", name_of(s.algorithm.kind), mode, f.seed);
  // A failed world's story is how it failed, not what a checker said of the
  // part that ran.
  const properties::Verdict* v =
      f.checker.empty() || f.kind == FindingKind::world_failed ? nullptr : r.verdict(f.checker);
  s.description = fmt::format(
      "Found by locklab explore ({} assumptions) at seed {}{}.\nCause: {}.\n{}", mode, f.seed,
      shrunk ? fmt::format(", shrunk from {} faults and {} clients to {} and {}{}", f.original.faults.size(),
                           f.original.clients.size(), s.faults.size(), s.clients.size(),
                           f.shrunk->minimal ? " (locally minimal)" : " (shrink budget ran out)")
             : "",
      fmt::join(cause_classes(s), ", "), v != nullptr ? v->summary : f.summary);
  s.expect.clear();
  s.trace_hash.reset();
  if (f.kind == FindingKind::world_failed && f.max_events != RunOptions{}.max_events) {
    s.description += fmt::format("\nRun it with --max-events {}: the world failed on that event budget.", f.max_events);
    return s;
  }
  for (const properties::Verdict& verdict : r.verdicts) s.expect[verdict.checker] = verdict.kind;
  s.trace_hash = r.trace_hash;
  return s;
}

std::uint64_t seeds_in_shard(std::uint64_t seeds, const Shard& shard) {
  return seeds / shard.count + (seeds % shard.count >= shard.index ? 1 : 0);
}

bool in_shard(std::uint64_t seed, std::uint64_t first, const Shard& shard) {
  return seed >= first && (seed - first) % shard.count == shard.index - 1;
}

std::vector<std::uint64_t> ExploreSummary::failing_seeds() const {
  std::vector<std::uint64_t> out;
  for (const Finding& f : findings) out.push_back(f.seed);
  return out;
}

ExploreSummary explore(const ExploreOptions& o) {
  LOCKLAB_ASSERT_GE(o.jobs, 1);
  LOCKLAB_ASSERT(o.shard.count >= 1 && o.shard.index >= 1 && o.shard.index <= o.shard.count);
  LOCKLAB_ASSERT(o.seeds.has_value() || o.keep_going != nullptr);
  const std::optional<std::uint64_t> mine =
      o.seeds ? std::optional<std::uint64_t>(seeds_in_shard(*o.seeds, o.shard)) : std::nullopt;

  ExploreSummary summary;
  summary.algorithm = o.generator.algorithm ? std::string(name_of(*o.generator.algorithm)) : "any";
  summary.mode = std::string(name_of(o.generator.mode));
  summary.first_seed = o.first_seed;
  summary.seeds = o.seeds;
  summary.shard = o.shard;

  std::atomic<std::uint64_t> next{0};
  std::mutex results_mutex;
  ExploreProgress progress;
  const auto worker = [&] {
    for (;;) {
      if (o.keep_going && !o.keep_going()) return;
      const std::uint64_t n = next.fetch_add(1);
      if (mine && n >= *mine) return;
      const std::uint64_t seed = nth_seed(o, n);
      std::optional<Finding> found = judge_seed(seed, o);
      const std::lock_guard lock(results_mutex);
      summary.worlds_run.push_back(seed);
      ++progress.worlds;
      if (found) {
        ++progress.findings;
        summary.findings.push_back(std::move(*found));
      }
      if (o.on_progress) o.on_progress(progress);
    }
  };
  if (o.jobs == 1) {
    worker();
  } else {
    std::vector<std::jthread> threads;
    for (int j = 0; j < o.jobs; ++j) threads.emplace_back(worker);
  }
  std::sort(summary.worlds_run.begin(), summary.worlds_run.end());
  std::sort(summary.findings.begin(), summary.findings.end(),
            [](const Finding& a, const Finding& b) { return a.seed < b.seed; });
  return summary;
}

nlohmann::json to_json(const ExploreSummary& s, const std::function<std::string(const Finding&)>& file_of) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : s.findings) {
    nlohmann::json j{{"seed", f.seed},
                     {"kind", name_of(f.kind)},
                     {"checker", f.checker},
                     {"violated", f.violated},
                     {"summary", f.summary},
                     {"within_assumptions", f.within_assumptions},
                     {"causes", f.causes}};
    if (f.shrunk) {
      j["shrunk"] = {{"faults", f.shrunk->scenario.faults.size() + f.shrunk->scenario.failovers.size()},
                     {"clients", f.shrunk->scenario.clients.size()},
                     {"runs", f.shrunk->runs},
                     {"minimal", f.shrunk->minimal},
                     {"trace_hash", fmt::format("{:016x}", f.shrunk->report.trace_hash)}};
    }
    if (file_of && f.replayable) j["file"] = file_of(f);
    findings.push_back(std::move(j));
  }
  return {{"format", 1},
          {"algorithm", s.algorithm},
          {"mode", s.mode},
          {"first_seed", s.first_seed},
          {"seeds", s.seeds ? nlohmann::json(*s.seeds) : nlohmann::json(nullptr)},
          {"shard", fmt::format("{}/{}", s.shard.index, s.shard.count)},
          {"worlds", s.worlds_run.size()},
          {"worlds_run", s.worlds_run},
          {"kinds", kind_counts(findings)},
          {"findings", std::move(findings)}};
}

nlohmann::json merge(const std::vector<nlohmann::json>& shards) {
  if (shards.empty()) throw std::invalid_argument("merge: no summaries given");
  const nlohmann::json& first = shards.front();
  std::vector<std::uint64_t> worlds;
  std::vector<nlohmann::json> findings;
  std::vector<std::string> seen_shards;
  for (const nlohmann::json& s : shards) {
    for (const char* key : {"format", "algorithm", "mode", "first_seed", "seeds"}) {
      if (s.at(key) != first.at(key)) {
        throw std::invalid_argument(fmt::format("merge: summaries differ in '{}': {} and {}", key,
                                                first.at(key).dump(), s.at(key).dump()));
      }
    }
    const std::string shard = s.at("shard").get<std::string>();
    const std::string count = shard.substr(shard.find('/') + 1);
    const std::string first_shard = first.at("shard").get<std::string>();
    if (count != first_shard.substr(first_shard.find('/') + 1)) {
      throw std::invalid_argument(fmt::format("merge: shard {} is not of the same split as {}", shard, first_shard));
    }
    if (std::find(seen_shards.begin(), seen_shards.end(), shard) != seen_shards.end()) {
      throw std::invalid_argument("merge: shard " + shard + " given twice");
    }
    seen_shards.push_back(shard);
    for (const auto& w : s.at("worlds_run")) worlds.push_back(w.get<std::uint64_t>());
    for (const auto& f : s.at("findings")) findings.push_back(f);
  }
  std::sort(worlds.begin(), worlds.end());
  std::stable_sort(findings.begin(), findings.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.at("seed").get<std::uint64_t>() < b.at("seed").get<std::uint64_t>();
  });
  nlohmann::json out = first;
  out["shard"] = "1/1";
  out["worlds"] = worlds.size();
  out["worlds_run"] = worlds;
  out["kinds"] = kind_counts(findings);
  out["findings"] = findings;
  return out;
}

}  // namespace locklab::scenarios
