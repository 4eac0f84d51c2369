// locklab/scenarios/envelope.hpp — what each algorithm assumes about the
// world, in one place.
//
// Provides Mode (within or beyond the assumptions), FaultClass (the classes
// of fault the generator draws), envelope_for(): for an algorithm and a
// mode, which fault classes are allowed, their bounds (a FaultMix
// without its counts) and what the cluster must look like (how masters
// persist or how long they stay down, whether replicas and failover exist,
// how long a holder may work); and is_within(): whether a given scenario
// stays inside an envelope. docs/properties.md states each envelope in
// words; this file is the one place the generator, the explorer and the
// tests read them from.
//
// is_within() is the one meaning of "within the assumptions": the generator
// draws only scenarios it accepts in mode within, and the explorer uses it
// to say whether a finding's world was within the algorithm's assumptions.
// It judges the scenario as data (no run): fault classes, the drift of
// every clock against the allowance, masters down at once and how each
// crashed master comes back, failovers and replicas, the network's latency,
// acquire deadlines, and holders (careless, or working longer than the
// envelope's share of the TTL). Durations of pauses, partitions and delays
// are not judged: within, they may be of any length.
//
// Within RedLock's assumptions:
//   - every clock drifts by at most half the drift factor (any two differ by
//     at most the drift factor); no clock jumps;
//   - no client pause (so none while holding a lease);
//   - at most a minority of masters down at once, each restarting after at
//     least twice the TTL or losing nothing (AOF always); with fencing,
//     losing nothing (a delayed restart lets the leases expire, but the
//     fencing counter would come back at zero and tokens would repeat);
//   - partitions of any shape between clients and masters; message delays
//     of any length between them; client crashes; master pauses.
// Within the single-node lock's: the same, on its one master, except that a
// crash of it is only allowed when it loses nothing (AOF always) or stays
// down for twice the TTL; no failover (an async replica loses writes).
// Within the naive lock's (SET NX PX): no faults but partitions that reset
// and client crashes; holders work well inside the TTL. (It is the negative
// control: beyond that, its blind DEL is unsafe.) Within the SETNX + PEXPIRE
// variant's: no faults at all, a fast network, and acquire deadlines that
// never fall inside an attempt — a crash, a reset connection, a reply later
// than the node timeout, or a deadline between its two commands leaves a key
// with no TTL, and the lock is never free again.
// Neither has clock drift within its assumptions.
// Beyond: every class, with bounds past each algorithm's claims.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/scenarios/fault_generator.hpp"
#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios {

enum class Mode : std::uint8_t { within, beyond };
std::string_view name_of(Mode mode);
std::optional<Mode> mode_named(std::string_view name);

enum class FaultClass : std::uint8_t {
  client_pause,
  server_pause,
  client_crash,
  server_crash,
  partition,
  delay,
  clock_jump,
  drift,
  failover,
};
std::string_view name_of(FaultClass c);
std::optional<FaultClass> fault_class_named(std::string_view name);

struct Envelope {
  std::vector<FaultClass> classes;  // the classes allowed
  FaultMix bounds;      // counts zero; the generator fills them
  // Masters: true when each must lose nothing in a crash or stay down at
  // least restart_factor × TTL.
  bool durable_masters = false;
  int restart_factor = 2;
  bool replicas = false;  // replicas and failover may exist
  // A holder's work per write is at most ttl / hold_divisor (with all its
  // writes inside the lease when nothing pauses it).
  int hold_divisor = 4;
  // false: the network's latency stays far below every timeout (a fixed
  // 100 µs), for a lock that breaks when a reply is merely late.
  bool any_latency = true;
  // false: an acquire's deadline never falls inside an attempt (clients wait
  // out every retry), for a lock whose attempt is two commands.
  bool deadline_may_cut = true;
  // true: a majority of masters is up at every moment (at most ⌊(N−1)/2⌋
  // down at once, a restarting master counted down until it serves again).
  bool majority_up = false;
};

Envelope envelope_for(Algorithm algorithm, Mode mode, std::chrono::milliseconds ttl,
                      std::int64_t drift_ppm);
// The envelope of the scenario's own algorithm, TTL and drift factor.
Envelope envelope_for(const Scenario& scenario, Mode mode);

// The longest an acquire of the scenario's own lock takes with every retry:
// a deadline at least this long never ends inside an attempt.
sim::Duration all_attempts(const Scenario& scenario);

// How many of its masters the scenario's own lock may lose at once and still
// grant: N - quorum (the configured quorum, or N/2 + 1), 0 for the locks
// over one node.
std::size_t masters_that_may_fail(const Scenario& scenario);

// Whether `scenario` stays inside `envelope` (see above). Pure: the same
// scenario and envelope always give the same answer.
bool is_within(const Scenario& scenario, const Envelope& envelope);
// The first rule of `envelope` that `scenario` breaks, naming the field and
// value ("faults[3]: clock_jump is not within ..."); empty when is_within().
std::string beyond_because(const Scenario& scenario, const Envelope& envelope);

}  // namespace locklab::scenarios
