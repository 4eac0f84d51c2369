// locklab/sim/history_recorder.hpp — recording a world's lock operations in a
// History.
//
// Provides the side of the history that needs a world: record_invoke() and
// record_complete() stamp an operation with the world's true time and the
// process's local time; a completion with a validity end also gets the true
// time at which the holder's own clock first reads it, which the world knows
// and a pure checker could not. refresh_validity() recomputes those from the
// clocks' whole history after the run; fault_notes() puts a fault schedule in
// words with the world's process names. The History itself
// (locklab/history/history.hpp) is a plain value that links no simulator, so
// the checkers judge simulated and real runs alike; its names are re-exported
// here (sim::History, sim::Operation, ...) for code inside worlds.
//
// Deliberately absent: any clock of its own; nothing here reads a real
// clock. Checkers live in properties/, not here.
//
// Thread-safety: as the world's: call on the thread that runs the world (from
// its fibers, or after the run), never concurrently on one History.
//
//   sim::History h;
//   const auto id = sim::record_invoke(h, p, sim::OpKind::acquire, "k");
//   ... the lock's attempt ...
//   sim::record_complete(h, id, p, sim::OpStatus::ok, "acquired", token, p.now() + validity);
//   ... after the run:
//   sim::refresh_validity(h, world);
//   std::string text = h.to_jsonl();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "locklab/history/history.hpp"
#include "locklab/history/operation.hpp"
#include "locklab/sim/fault.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

class World;
class Process;

using history::FaultNote;
using history::History;
using history::name_of;
using history::Operation;
using history::OpKind;
using history::OpStatus;

// Records an invocation by `client` at the world's true time and its local
// time; returns its id. `holder` names who in the process invoked it, when
// that is not the process as a whole (a lock manager's waiter: "c1/w2"); the
// checkers tell holders apart by it, so two grants at once inside one
// process are seen. `deadline`: the call's deadline on the client's clock,
// when it takes one (the liveness checker judges that it returned by it).
std::uint64_t record_invoke(History& history, Process& client, OpKind kind, std::string key,
                            std::uint64_t grant = 0, std::string holder = {},
                            std::optional<LocalTime> deadline = {});

// Completes pending operation `id` now (true time, and the local time of the
// same process, which must be the one that invoked it). With validity_end
// (acquire ok, extend ok), fills validity_end_true with the world's answer to
// "when does this client's clock first read it". An acquire completed ok
// becomes grant `id`; lock_token is its lease's token.
void record_complete(History& history, std::uint64_t id, Process& client, OpStatus status,
                     std::string outcome, std::optional<std::uint64_t> fencing_token = {},
                     std::optional<LocalTime> validity_end = {},
                     std::optional<std::string> lock_token = {});

// Recomputes every validity_end_true from the clocks' whole history: a drift
// change or a jump after completion moves the true time at which the
// holder's clock reaches its validity end. Call after the run, before the
// checkers.
void refresh_validity(History& history, const World& world);

// The schedule in words, with the world's process names, in schedule order.
std::vector<FaultNote> fault_notes(const World& world, const FaultSchedule& schedule);

}  // namespace locklab::sim
