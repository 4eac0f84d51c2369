// locklab/scenarios/cause.hpp — what a finding's counterexample blames.
//
// Provides cause_classes(): the classes of what is left in a (shrunk)
// scenario that the algorithm's claims do not cover, named as the explorer
// names fault classes (envelope.hpp): one per class of fault left —
// client_pause, server_pause, client_crash, server_crash, partition (a
// connection reset too), delay, clock_jump, drift (a drift change),
// failover — then `drift-config` when the clocks as configured drift apart
// by more than the lock allows, and `algorithm` when neither is left: the
// algorithm fails in a world with nothing wrong in it. The ending half of a
// pair (resume, restart, heal) counts with what it ends. A drift set at
// true time zero is configuration, not a drift change: it is the clock's
// rate from the start, as a configured drift_ppm is (the generator draws
// every process's starting drift that way, whatever fault classes it was
// asked for).
//
// The drift allowance: RedLock and the single-node lock subtract
// ttl × drift_factor + 2 ms from every lease (lock/redlock.hpp), which covers
// a client clock and a master clock whose rates differ by up to drift_factor;
// the naive locks subtract nothing, so they allow no difference at all.
//
// Deliberately absent: running anything. A cause is read off the scenario.
//
//   for (const std::string& c : cause_classes(shrunk.scenario)) std::cout << c << " ";
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios {

// How far apart (in ppm) a client's and a master's configured drift may be.
std::int64_t drift_allowance_ppm(const AlgorithmSpec& algorithm);

// Whether some client's and some master's drift from the start (configured,
// or set at true time zero) differ by more than drift_allowance_ppm().
bool configured_drift_exceeds_allowance(const Scenario& scenario);

// In the order above; never empty.
std::vector<std::string> cause_classes(const Scenario& scenario);

}  // namespace locklab::scenarios
