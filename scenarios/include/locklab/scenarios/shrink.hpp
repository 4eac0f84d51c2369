// locklab/scenarios/shrink.hpp — the smallest scenario that still fails.
//
// Provides shrink(): given a scenario whose run violates `checker`, removes
// and shortens what it can while the violation stays — failovers, faults
// (in halves first, then one by one), clients (renumbering the faults that
// name later ones), iterations and writes of a client, the length of a
// pause, partition, downtime, delay or clock jump, and the run's duration —
// repeating until a whole pass changes nothing. The result is locally
// minimal: no single fault, failover or client can be removed, and none of
// those shortenings applied, and still violate `checker`. The seed never
// changes, so the shrunk scenario replays exactly.
//
// Deliberately absent: RapidCheck. Shrinking is plain re-running of worlds
// with the project's runner, so it runs on any thread.
//
//   ShrinkResult r = shrink(failing, "mutual_exclusion");
//   write_file(to_toml(r.scenario));
#pragma once

#include <string>
#include <string_view>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios {

struct ShrinkOptions {
  int max_runs = 1'000;  // worlds run while shrinking, at most
};

struct ShrinkResult {
  Scenario scenario;  // the shrunk scenario (the input when nothing could go)
  RunReport report;   // its run
  int runs = 0;       // worlds run while shrinking
  bool minimal = false;  // false: the run budget ended the search first
};

// `failing` must violate `checker` when run (asserted).
ShrinkResult shrink(const Scenario& failing, std::string_view checker, const ShrinkOptions& options = {});

// The scenario without client `index`: faults naming only it are dropped,
// it leaves partitions' sides, and later processes are renumbered.
Scenario without_client(const Scenario& scenario, std::size_t index);

}  // namespace locklab::scenarios
