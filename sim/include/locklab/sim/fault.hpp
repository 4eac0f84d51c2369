// locklab/sim/fault.hpp — faults as data.
//
// Provides the fault records a World applies at given true times. A schedule
// is a plain vector of them, so RapidCheck can generate and shrink it and a
// scenario file can name it. Faults come in pairs where they have an end:
// pause/resume, kill or crash/restart, partition/heal.
//
// Semantics (the World implements them; docs/simulator.md has the details):
//   ProcessPause     stop-the-world: the process runs nothing; its timers and
//                    incoming messages wait and are processed after resume.
//   ProcessKill      the process dies, the machine stays up: its fibers unwind,
//                    its memory is gone, what it wrote to disk (even unsynced)
//                    survives, and its connections close as on exit (a FIN,
//                    or a reset where it had unread input).
//   MachineCrash     power loss: as a kill, but unsynced disk writes are lost
//                    and peers are told nothing (their packets go unanswered).
//   ProcessRestart   a fresh instance runs the process's main function again.
//   LinkPartition    messages from `from` to `to` (and back unless one_way) do
//                    not pass. hold: they wait and are delivered after heal,
//                    connections stay up. reset: connections crossing the cut
//                    are reset at both ends and new connections fail.
//   LinkHeal         undoes a partition of the same pairs.
//   MessageDelay     the next `count` messages from `from` to `to` are delayed
//                    by `extra` (later ones on the same connection queue behind
//                    them, as on a TCP stream).
//   ClockJump        steps the process's clock by delta (either sign).
//   ClockDriftSet    the process's clock runs at the new drift rate from now.
//   ConnectionReset  resets every connection between the two processes.
// A fault that does not apply (resume of a process not paused, restart of one
// that is up, pause of one not running, kill of one not up, crash of a
// machine already down, heal of links none of which is cut) changes nothing
// and is never an error: shrinking removes faults freely and every subset
// must still run. The world lists each (World::inapplicable_faults()) so a
// runner can warn and a shrinker drop it; the skipped ones are also trace
// notes.
#pragma once

#include <cstdint>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "locklab/sim/ids.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

enum class PartitionMode : std::uint8_t { hold, reset };

struct ProcessPause {
  ProcessId process;
  bool operator==(const ProcessPause&) const = default;
};
struct ProcessResume {
  ProcessId process;
  bool operator==(const ProcessResume&) const = default;
};
struct ProcessKill {
  ProcessId process;
  bool operator==(const ProcessKill&) const = default;
};
struct MachineCrash {
  ProcessId process;
  bool operator==(const MachineCrash&) const = default;
};
struct ProcessRestart {
  ProcessId process;
  bool operator==(const ProcessRestart&) const = default;
};
struct LinkPartition {
  std::vector<ProcessId> from;
  std::vector<ProcessId> to;
  bool one_way = false;
  PartitionMode mode = PartitionMode::hold;
  bool operator==(const LinkPartition&) const = default;
};
struct LinkHeal {
  std::vector<ProcessId> from;
  std::vector<ProcessId> to;
  bool one_way = false;
  bool operator==(const LinkHeal&) const = default;
};
struct MessageDelay {
  ProcessId from;
  ProcessId to;
  Duration extra{0};
  std::uint32_t count = 1;
  bool operator==(const MessageDelay&) const = default;
};
struct ClockJump {
  ProcessId process;
  Duration delta{0};
  bool operator==(const ClockJump&) const = default;
};
struct ClockDriftSet {
  ProcessId process;
  std::int64_t drift_ppm = 0;
  bool operator==(const ClockDriftSet&) const = default;
};
struct ConnectionReset {
  ProcessId a;
  ProcessId b;
  bool operator==(const ConnectionReset&) const = default;
};

using FaultAction =
    std::variant<ProcessPause, ProcessResume, ProcessKill, MachineCrash, ProcessRestart,
                 LinkPartition, LinkHeal, MessageDelay, ClockJump, ClockDriftSet, ConnectionReset>;

struct Fault {
  TrueTime at;
  FaultAction action;
  bool operator==(const Fault&) const = default;
};

using FaultSchedule = std::vector<Fault>;

// The index of the record that ends schedule[i] — the resume of a pause,
// the restart of a kill or crash, the heal of the same partition — searching
// forward from i; nullopt when schedule[i] starts nothing or nothing ends it.
// (The shrinker shortens a fault by moving its end; the liveness bound needs
// to know when the last fault stops acting.)
std::optional<std::size_t> ending_fault(const FaultSchedule& schedule, std::size_t i);

// Why `action` cannot be applied, as "field: reason" in the fault's own
// terms ("count: must be at least 1", "from: must name at least one
// process"); empty when it can. Process ids are not checked (the world
// knows how many processes it has). World::schedule refuses what this
// names; scenario validation reports it with the file's line and field.
std::string problem_of(const FaultAction& action);

// "pause p2", "partition p0,p1 -> p3 (hold)": for traces and reports.
// `name` turns an id into a label (World::describe passes process names).
std::string describe(const FaultAction& action,
                     const std::function<std::string(ProcessId)>& name = {});

}  // namespace locklab::sim
