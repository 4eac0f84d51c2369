// The envelope each algorithm claims, and the world past it. See
// envelope.hpp for the rules in words; docs/properties.md repeats them.
#include <array>

#include "locklab/scenarios/envelope.hpp"

namespace locklab::scenarios {

namespace {

using namespace std::chrono_literals;

constexpr std::array<std::pair<FaultClass, std::string_view>, 9> kClassNames{{
    {FaultClass::client_pause, "client_pause"},
    {FaultClass::server_pause, "server_pause"},
    {FaultClass::client_crash, "client_crash"},
    {FaultClass::server_crash, "server_crash"},
    {FaultClass::partition, "partition"},
    {FaultClass::delay, "delay"},
    {FaultClass::clock_jump, "clock_jump"},
    {FaultClass::drift, "drift"},
    {FaultClass::failover, "failover"},
}};

Envelope within(Algorithm algorithm, std::chrono::milliseconds ttl, std::int64_t drift_ppm) {
  Envelope e;
  FaultMix& b = e.bounds;
  b.drift_ppm = drift_ppm / 2;
  b.max_drift_change_ppm = drift_ppm / 2;
  b.max_pause = 2 * ttl;
  b.max_downtime = 2 * ttl;
  b.max_partition = 3s;
  b.max_delay = 3s;
  e.durable_masters = true;
  if (algorithm == Algorithm::naive_setnx) {
    // SETNX then PEXPIRE: anything that stops the client between the two
    // (a crash, a reset connection, a reply later than the node timeout, an
    // acquire deadline after the SETNX was sent) leaves a key that never
    // expires, so no fault at all, no slow network and no deadline inside an
    // attempt are within its assumptions (the explorer found all four).
    b.drift_ppm = 0;
    b.max_drift_change_ppm = 0;
    e.any_latency = false;
    e.deadline_may_cut = false;
    return e;
  }
  if (algorithm == Algorithm::naive) {
    // Only faults that can neither stretch a holder nor let a blind DEL
    // arrive late: reset partitions and client crashes.
    e.classes = {FaultClass::partition, FaultClass::client_crash};
    b.drift_ppm = 0;
    b.max_drift_change_ppm = 0;
    b.max_partition = 1s;
    b.hold_partitions = false;
    return e;
  }
  e.classes = {FaultClass::server_pause, FaultClass::client_crash, FaultClass::server_crash,
               FaultClass::partition,    FaultClass::delay,        FaultClass::drift};
  // The single-node lock uses one master, which may go down (it is durable);
  // RedLock needs a majority of its masters.
  e.majority_up = algorithm == Algorithm::redlock;
  return e;
}

Envelope beyond(std::chrono::milliseconds ttl, std::int64_t drift_ppm) {
  Envelope e;
  for (const auto& [c, name] : kClassNames) e.classes.push_back(c);
  FaultMix& b = e.bounds;
  b.drift_ppm = 5 * std::max<std::int64_t>(drift_ppm, 1'000);
  b.max_drift_change_ppm = b.drift_ppm;
  b.max_pause = 3 * ttl;
  b.max_downtime = 2 * ttl;
  b.machine_crashes = true;
  b.max_partition = 3s;
  b.delay_storage = true;
  b.max_delay = 2 * ttl;
  b.max_jump = 2 * ttl;
  e.durable_masters = false;
  e.replicas = true;
  e.hold_divisor = 1;
  return e;
}

}  // namespace

std::string_view name_of(Mode mode) { return mode == Mode::within ? "within" : "beyond"; }

std::optional<Mode> mode_named(std::string_view name) {
  if (name == "within") return Mode::within;
  if (name == "beyond") return Mode::beyond;
  return std::nullopt;
}

std::string_view name_of(FaultClass c) {
  for (const auto& [k, name] : kClassNames) {
    if (k == c) return name;
  }
  return "?";
}

std::optional<FaultClass> fault_class_named(std::string_view name) {
  for (const auto& [k, n] : kClassNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

Envelope envelope_for(Algorithm algorithm, Mode mode, std::chrono::milliseconds ttl,
                      std::int64_t drift_ppm) {
  return mode == Mode::within ? within(algorithm, ttl, drift_ppm) : beyond(ttl, drift_ppm);
}

Envelope envelope_for(const Scenario& scenario, Mode mode) {
  return envelope_for(scenario.algorithm.kind, mode, scenario.algorithm.ttl, scenario.algorithm.drift_ppm);
}

}  // namespace locklab::scenarios
