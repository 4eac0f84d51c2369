// locklab/sim/lock_client.hpp — the shorthand workload of a lock client.
//
// Provides ClientWorkload: what one client does, in the shorthand a scenario
// file's client keys give — acquire; then `writes` rounds of "check the
// lease is still valid by the client's own clock (a careful client: that it
// outlasts the work and the write's timeout); work for `hold`; write to the
// protected storage with the grant's fencing token"; release; think; repeat.
// scenarios::steps_of() turns it into the steps the step interpreter
// (scenarios/step_interpreter.hpp) runs. A plain value: not thread-safe to
// mutate concurrently.
//
//   sim::ClientWorkload w{.key = "job", .iterations = 3, .hold = 50ms};
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "locklab/sim/time.hpp"

namespace locklab::sim {

struct ClientWorkload {
  std::string key = "lock";
  int iterations = 1;
  Duration start_after{0};                     // before the first acquire
  Duration acquire_timeout = std::chrono::seconds(2);
  int writes = 1;                              // per grant
  Duration hold = std::chrono::milliseconds(10);   // work before each write
  Duration write_timeout = std::chrono::milliseconds(100);
  Duration think = std::chrono::milliseconds(10);  // between grants
  bool release = true;
  // Write only when the lease, by this client's clock, outlasts the work and
  // the write's timeout (otherwise: only when it is still valid now).
  bool careful = false;

  bool operator==(const ClientWorkload&) const = default;
};

}  // namespace locklab::sim
