// locklab/scenarios/runner.hpp — one scenario, run as one world, judged.
//
// Provides run_scenario(): builds the world a Scenario describes (a Redis
// deployment with logical names, so failover repoints clients; the protected
// storage; one lock client per ClientSpec running its workload through the
// real lockimpl algorithm over sim::LockBackend), schedules its faults and
// failovers, runs it for `duration` of true time, and judges the history with
// every checker in kCheckers. The RunReport keeps everything a report, the
// explorer or the shrinker needs once the world is gone: the seed, how the
// run ended, the trace hash, the history, the storage log, the faults in
// words, the faults that could not apply, and the verdicts.
//
// Deliberately absent: printing (report.hpp formats a RunReport), files
// (scenario_file.hpp), and any state between runs: two calls with the same
// scenario and seed give equal reports, on any thread.
//
//   RunReport r = run_scenario(scenario, {.trace_jsonl = &file});
//   if (r.any_violation()) std::cout << format_report(scenario, r);
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/history/history.hpp"
#include "locklab/history/storage_log.hpp"
#include "locklab/properties/verdict.hpp"
#include "locklab/scenarios/scenario.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::scenarios {

// What a run found, by kind, for the explorer's findings and the command
// line's exit codes (docs/cli.md). A world that failed (a fiber threw, a
// budget ran out) is a kind of its own, whatever its checkers said of the
// part that ran; internal is the explorer's: a violation in a world that is
// within the assumptions and has no fault, a bug of ours (or an exception a
// world threw).
enum class FindingKind : std::uint8_t { world_failed, internal, safety, liveness };
std::string_view name_of(FindingKind kind);
// mutual_exclusion, resource_safety and token_hygiene judge safety; liveness
// judges progress.
bool is_safety_checker(std::string_view checker);

struct RunOptions {
  std::optional<std::uint64_t> seed;      // replaces the scenario's seed
  std::ostream* trace_jsonl = nullptr;    // every trace record as JSON Lines
  // The world's event budget: a run that exceeds it ends budget_exhausted,
  // a failed world (RunReport::world_failed).
  std::uint64_t max_events = 50'000'000;
};

struct RunReport {
  std::uint64_t seed = 0;
  sim::RunResult run;
  std::uint64_t trace_hash = 0;
  history::History history;
  history::StorageLog storage;                // every write the storage received, in order
  std::vector<history::FaultNote> faults;     // the schedule in words (with failovers)
  // The faults that could not apply when due; each index is into Scenario::faults.
  std::vector<sim::InapplicableFault> inapplicable;
  std::vector<properties::Verdict> verdicts;  // one per kCheckers entry, in that order

  const properties::Verdict* verdict(std::string_view checker) const;
  bool any_violation() const;
  // The run did not reach its end as planned: a fiber threw, or the event or
  // time budget ran out. What the checkers say of it covers only the part
  // that ran.
  bool world_failed() const;
  // The most serious of what the run found: world_failed, else safety (a
  // safety checker's violation), else liveness; nullopt when clean.
  std::optional<FindingKind> finding() const;
  int grants() const;  // acquires completed ok
};

RunReport run_scenario(const Scenario& scenario, const RunOptions& options = {});

// One line per expectation of the scenario the run does not meet, naming it
// and what happened (expectation_mismatches.cpp): a checker's verdict
// ("mutual_exclusion: expected ok, got violation (...)"), a single
// operation's outcome ("steps.\"c2.acquire#1\": expected busy, got acquired
// (completed at 1.052s)"), a client's ("c2.min_grants: expected at least 2,
// got 1"). Empty when all match.
std::vector<std::string> expectation_mismatches(const Scenario& scenario, const RunReport& report);

// "trace hash: the file records X, this run gives Y" when the scenario
// records a trace hash and the run's differs; nullopt otherwise.
std::optional<std::string> trace_hash_mismatch(const Scenario& scenario, const RunReport& report);

}  // namespace locklab::scenarios
