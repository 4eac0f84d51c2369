// locklab/scenarios/explore.hpp — many seeded random worlds, every failure
// shrunk.
//
// Provides explore(): for each seed of its part of the seed space, draws a
// scenario (generator.hpp), runs and judges it, and shrinks every violation
// to a locally minimal scenario (shrink.hpp); ExploreSummary, the result as
// data and as JSON; and merge(), which joins the summaries of shards. A
// world that fails or throws is a finding too (Finding has the kinds), so
// one world never stops the exploration.
//
// Seeds and shards: the seed space is first_seed, first_seed + 1, ...; shard
// K of N (1-based) takes the seeds whose offset from first_seed is K − 1
// modulo N. Each world depends only on its seed, so the worlds of a shard
// are exactly the unsharded run's worlds at those seeds, on any machine and
// with any number of jobs, and with a seed count the merged summaries of
// all N shards equal the summary of one unsharded run.
//
// Threads: `jobs` worker threads each run whole worlds (a world is
// thread-confined; nothing is shared but the seed counter and the results).
// Shrinking runs on the worker that found the failure: it is plain re-running
// of worlds, no RapidCheck. Results are sorted by seed, so the summary does
// not depend on which worker finished first.
//
// Deliberately absent: wall clocks and files. A time limit is the caller's
// keep_going() callback; writing scenario files is the caller's too.
//
//   ExploreSummary s = explore({.generator = {.algorithm = Algorithm::redlock}, .seeds = 1000, .jobs = 2});
//   for (const Finding& f : s.findings) save(f.shrunk);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "locklab/scenarios/generator.hpp"
#include "locklab/scenarios/scenario.hpp"
#include "locklab/scenarios/shrink.hpp"

namespace locklab::scenarios {

struct Shard {
  std::uint64_t index = 1;  // K, 1-based
  std::uint64_t count = 1;  // N

  bool operator==(const Shard&) const = default;
};

struct ExploreProgress {
  std::uint64_t worlds = 0;    // worlds run so far (shrinking not counted)
  std::uint64_t findings = 0;  // failing seeds so far
};

struct ExploreOptions {
  GeneratorOptions generator{};
  std::uint64_t first_seed = 0;
  // Seeds in the whole space (all shards); unset: unbounded, until
  // keep_going() says stop.
  std::optional<std::uint64_t> seeds = 100;
  Shard shard{};
  int jobs = 1;
  bool shrink = true;
  ShrinkOptions shrinking{};
  // Each world's event budget (RunOptions::max_events); a world that runs
  // out of it is a world_failed finding.
  std::uint64_t max_events = RunOptions{}.max_events;
  // Asked before each new world; false stops the exploration (the caller's
  // time limit). Called from worker threads: it must be thread-safe.
  std::function<bool()> keep_going;
  // Called after each world from worker threads, serialised by explore().
  std::function<void(const ExploreProgress&)> on_progress;
};

// A seed whose world found something. Its kind, most serious first:
//   world_failed  the run did not reach its end (a fiber threw, the event
//                 budget ran out); never shrunk, the summary says why;
//   internal      a bug of ours: the generator or the runner threw (the
//                 summary is the exception's message), or a checker found a
//                 violation in a world within the assumptions (is_within)
//                 that has no fault and no failover left (after shrinking);
//   safety        a safety checker (mutual exclusion, resource safety, token
//                 hygiene) found a violation;
//   liveness      only liveness did.
// The explorer never stops on a world: whatever one does is a finding.
struct Finding {
  std::uint64_t seed = 0;
  FindingKind kind = FindingKind::safety;
  // The checker the finding is about, the one shrinking keeps violated: the
  // first safety checker (kCheckers order) violated, else liveness; empty if
  // none was.
  std::string checker;
  std::string summary;  // its verdict's summary on the original world, or why the world failed
  std::vector<std::string> violated;  // every checker violated, in kCheckers order
  // Whether the world was within its algorithm's assumptions (is_within
  // against envelope_for(original, Mode::within)): a finding there is a bug
  // in the implementation, not a fact about the algorithm.
  bool within_assumptions = false;
  Scenario original;
  // The generator or the runner threw (kind internal; the summary has the
  // message). When the generator did, there is no scenario to write either.
  bool threw = false;
  bool replayable = true;
  // The event budget the world ran with (ExploreOptions::max_events).
  std::uint64_t max_events = RunOptions{}.max_events;
  std::optional<ShrinkResult> shrunk;  // when shrinking was on, for safety, liveness and internal
  // cause_classes() of the shrunk scenario (of the original when not shrunk);
  // empty when there is no scenario (the generator threw).
  std::vector<std::string> causes;
};

struct ExploreSummary {
  std::string algorithm;  // "redlock", or "any" when drawn per world
  std::string mode;       // "within", "beyond"
  std::uint64_t first_seed = 0;
  std::optional<std::uint64_t> seeds;
  Shard shard{};
  std::vector<std::uint64_t> worlds_run;  // the seeds run, ascending
  std::vector<Finding> findings;          // ascending by seed

  std::vector<std::uint64_t> failing_seeds() const;
};

// The kind of what `report` found (RunReport::finding), made internal when
// it is a violation in a world whose scenario `judged` (the shrunk one, when
// shrunk) is within its algorithm's assumptions (is_within) and has no fault
// or failover: nothing but our own code can have caused it.
std::optional<FindingKind> finding_kind(const RunReport& report, const Scenario& judged);

// Whether `seed` belongs to `shard` of the space that starts at `first`.
bool in_shard(std::uint64_t seed, std::uint64_t first, const Shard& shard);
// How many of a space's `seeds` seeds fall in `shard`.
std::uint64_t seeds_in_shard(std::uint64_t seeds, const Shard& shard);

ExploreSummary explore(const ExploreOptions& options);

// The finding's shrunk scenario (or its original, unshrunk) as a
// counterexample file's content: named "<algorithm>-<mode>-seed-<seed>", the
// story of the violation in its description, every checker's observed
// verdict as its [expect], and the run's trace hash, so `locklab replay`
// verifies it replays exactly. Two exceptions, which record neither: a world
// that threw (the file is the world as drawn), and a world that failed on an
// event budget other than the default, which a file cannot state (it is
// reproduced by `locklab run FILE --max-events N`).
Scenario counterexample_of(const Finding& finding, std::string_view mode);

// The summary as JSON (no wall-clock figures, so two runs of the same
// seeds give equal JSON): options, worlds run, and per finding its seed,
// kind, checkers, summary, cause classes, whether its world was within the
// assumptions and, when shrunk, the shrunk scenario's size, trace hash and
// the file name the caller gives it (file_of(finding)).
nlohmann::json to_json(const ExploreSummary& summary,
                       const std::function<std::string(const Finding&)>& file_of = {});

// Findings (as JSON, each with its "kind") counted per kind, every kind
// named: {"world_failed": 0, "internal": 0, "safety": 2, "liveness": 1}.
// Throws std::invalid_argument on a kind it does not know.
nlohmann::json kind_counts(const nlohmann::json& findings);

// Joins shard summaries (as JSON) into the unsharded summary's JSON: worlds
// and findings merged and sorted by seed, shard 1/1. Throws
// std::invalid_argument when they are not shards of one exploration (their
// algorithm, mode, first seed, seed count or shard counts differ, or two
// hold the same shard).
nlohmann::json merge(const std::vector<nlohmann::json>& shards);

}  // namespace locklab::scenarios
