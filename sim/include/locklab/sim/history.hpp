// locklab/sim/history.hpp — what the clients of a world did, for checkers.
//
// Provides History: every acquire, release, extend and write a client
// invoked, and how it completed, with the true time (the world's) and the
// local time (the client's own clock) of both. For each grant the history also
// holds the true time at which the holder's own clock reaches the end of its
// validity: the world knows it, a pure checker could not. FaultNote is one
// fault in words at its true time, for verdicts to show what happened near a
// violation.
//
// Operations are plain values, written and read as JSON Lines, so a checker,
// the explorer, a shrinker or a report can work on a history long after its
// world is gone.
//
// Status, as Jepsen records it: ok and fail are definite; info means the
// outcome is unknown and the operation may have taken effect (a timed-out
// SET NX); pending means it never completed (its process died).
//
// Deliberately absent: any clock of its own. invoke() and complete() read the
// world's true time and the process's local time; nothing here reads a real
// clock. Checkers live in properties/, not here.
//
//   sim::History h;
//   const auto id = h.invoke(p, sim::OpKind::acquire, "k");
//   ... the lock's attempt ...
//   h.complete(id, p, sim::OpStatus::ok, "acquired", token, p.now() + validity);
//   ... after the run:
//   h.refresh_validity(world);
//   std::string text = h.to_jsonl();
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/fault.hpp"
#include "locklab/sim/ids.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

class World;
class Process;

enum class OpKind : std::uint8_t { acquire, release, extend, write };
// info: indeterminate (may have taken effect), as Jepsen's :info;
// pending: never completed (the process died).
enum class OpStatus : std::uint8_t { pending, ok, fail, info };

std::string_view name_of(OpKind kind);
std::string_view name_of(OpStatus status);
std::optional<OpKind> op_kind_named(std::string_view name);
std::optional<OpStatus> op_status_named(std::string_view name);

struct Operation {
  std::uint64_t id = 0;  // 1.., unique in a history
  ProcessId client = kNoProcess;
  std::string client_name;
  std::string key;
  OpKind kind = OpKind::acquire;
  // acquire ok: the new grant's id (== this op's id); release, extend, write:
  // the grant they act for; 0: none.
  std::uint64_t grant = 0;
  TrueTime invoked_true{};
  LocalTime invoked_local{};
  OpStatus status = OpStatus::pending;
  TrueTime completed_true{};  // meaningful unless pending
  LocalTime completed_local{};
  // Words from the lock: "acquired", "busy", "timed_out", "indeterminate",
  // "lost", "accepted", "rejected_stale", ...
  std::string outcome;
  std::optional<std::uint64_t> fencing_token;
  // acquire ok: the lease's random lock token as text (lockimpl's 32 hex
  // digits), so token hygiene can check that no two grants share one. Absent
  // on other ops and in histories written before it was recorded.
  std::optional<std::string> lock_token;
  // acquire ok / extend ok: the end of validity on the holder's own clock, and
  // the true time at which that clock first reads it at or after completion.
  std::optional<LocalTime> validity_end_local;
  std::optional<TrueTime> validity_end_true;

  bool operator==(const Operation&) const = default;
};

// One fault at its true time, in words ("pause client-1").
struct FaultNote {
  TrueTime at{};
  std::string what;

  bool operator==(const FaultNote&) const = default;
};

// The schedule in words, with the world's process names, in schedule order.
std::vector<FaultNote> fault_notes(const World& world, const FaultSchedule& schedule);

class History {
 public:
  // Records an invocation at the world's true time and the process's local
  // time; returns its id.
  std::uint64_t invoke(Process& client, OpKind kind, std::string key, std::uint64_t grant = 0);

  // Completes a pending operation now (true time, and the local time of the
  // same process). With validity_end (acquire ok, extend ok), fills
  // validity_end_true with the world's answer to "when does this client's
  // clock first read it". An acquire completed ok becomes grant `id`;
  // lock_token is its lease's token.
  void complete(std::uint64_t id, Process& client, OpStatus status, std::string outcome,
                std::optional<std::uint64_t> fencing_token = {},
                std::optional<LocalTime> validity_end = {},
                std::optional<std::string> lock_token = {});

  // Recomputes every validity_end_true from the clocks' whole history: a drift
  // change or a jump after completion moves the true time at which the
  // holder's clock reaches its validity end. Call after the run, before the
  // checkers.
  void refresh_validity(const World& world);

  const std::vector<Operation>& operations() const { return ops_; }
  bool contains(std::uint64_t id) const { return index_.contains(id); }
  const Operation& at(std::uint64_t id) const;  // asserts the id exists

  // For hand-written histories and for loading. An op with id 0 gets the next
  // free id; an id already present is a programming error (asserted).
  void append(Operation op);

  // One JSON object per line, in operation order. Optional fields
  // (fencing_token, lock_token, validity ends) are written only when present
  // and read as absent when missing, so older files still load.
  std::string to_jsonl() const;
  // Throws std::runtime_error naming the line and the field on bad input.
  static History from_jsonl(std::string_view text);

  bool operator==(const History& other) const { return ops_ == other.ops_; }

 private:
  Operation& at_mutable(std::uint64_t id);

  std::vector<Operation> ops_;
  std::map<std::uint64_t, std::size_t> index_;  // id -> position in ops_
  std::uint64_t next_id_ = 1;
};

}  // namespace locklab::sim
