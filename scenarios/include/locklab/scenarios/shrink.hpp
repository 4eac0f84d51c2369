// locklab/scenarios/shrink.hpp — the smallest scenario that still fails.
//
// Provides shrink(): given a scenario whose run violates `checker`, removes
// and shortens what it can while the violation stays — failovers, faults
// (in halves first, then one by one), clients (renumbering the faults that
// name later ones), masters (keeping an explicit quorum a majority of those
// left) and replicas, iterations and writes of a client, the length of a
// pause, partition, downtime, delay or clock jump, every configured clock's
// drift and offset (to zero, else in halves), and the run's duration —
// repeating until a whole pass changes nothing. The result is locally
// minimal: no single fault, failover, client, master or replica can be
// removed, and none of those shortenings applied, and still violate
// `checker`. It never holds a fault that could not apply (a restart of a
// process that is up, a heal of nothing: World::inapplicable_faults()):
// those change nothing, and go last, even past the run budget. The seed
// never changes, so the shrunk scenario replays exactly.
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
// it leaves partitions' sides, its step and client expectations are dropped,
// and later processes are renumbered.
Scenario without_client(const Scenario& scenario, std::size_t index);

// The scenario without master `index`: its replicas go with it, faults
// naming only them are dropped, they leave partitions' sides, its shard's
// failovers are dropped, and later processes are renumbered.
Scenario without_master(const Scenario& scenario, std::size_t index);

// The scenario with one replica fewer on master `index` (which has one),
// renumbered alike; the shard's failovers go with its last replica.
Scenario without_replica(const Scenario& scenario, std::size_t index);

}  // namespace locklab::scenarios
