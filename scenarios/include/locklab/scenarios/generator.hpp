// locklab/scenarios/generator.hpp — random scenarios from a seed, within or
// beyond each algorithm's assumptions.
//
// Provides generate_scenario(seed, options): a whole Scenario (cluster of 1,
// 3, 5 or 7 masters with persistence, restart delays and replicas; latency;
// the algorithm and its settings; clients, keys, hold times and writes; the
// fault schedule and failovers) drawn from the project's own seeded
// generator, never from RapidCheck: every seed is independent of every other
// and of the thread it runs on, so `explore` can run seeds on threads and
// shards and still find the same worlds.
//
// Two modes (Mode): `within` keeps every fault inside the envelope the
// algorithm claims (envelope.hpp, one per algorithm, in one place), so any
// violation is a bug in the implementation; `beyond` draws from every fault
// class, and violations are findings about the algorithm.
//
// Deliberately absent: running anything. RapidCheck properties wrap this in
// a generator over seeds (tests/scenarios/explore_test.cpp).
//
//   Scenario s = generate_scenario(17, {.algorithm = Algorithm::redlock, .mode = Mode::within});
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "locklab/scenarios/envelope.hpp"
#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios {

struct GeneratorOptions {
  std::optional<Algorithm> algorithm;  // unset: drawn per world
  Mode mode = Mode::within;
  std::optional<int> masters;          // unset: drawn (1, 3, 5 or 7 for RedLock; 1 otherwise)
  int min_clients = 2;
  int max_clients = 5;
  int faults = 20;  // fault records drawn (a pair such as pause/resume counts once)
  sim::Duration duration = std::chrono::seconds(10);
  // The fault classes to draw from, intersected with the mode's envelope;
  // empty: all of the envelope's.
  std::vector<FaultClass> classes;
  std::optional<bool> fencing;  // unset: drawn
  // Half the clients (drawn) run step workloads of every lock component —
  // extends, watchdogs, lock managers with waiters that give up, mutexes,
  // guards, per-call TTLs, single attempts, holders working to the end of
  // their validity — from a stream of their own, so the other draws (and
  // every world drawn without this) stay as they are.
  bool steps = false;
};

Scenario generate_scenario(std::uint64_t seed, const GeneratorOptions& options);

}  // namespace locklab::scenarios
