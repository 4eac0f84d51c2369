// locklab/history/operation.hpp — one lock operation of a run, and one fault
// in words.
//
// Provides Operation: an acquire, release, extend or write a client invoked,
// and how it completed, with the true time and the client's local time of
// both; OpKind and OpStatus with their names; FaultNote, one fault in words
// at its true time, for verdicts to show what happened near a violation.
//
// Status, as Jepsen records it: ok and fail are definite; info means the
// outcome is unknown and the operation may have taken effect (a timed-out
// SET NX); pending means it never completed (its process died).
//
// Deliberately absent: how an operation is recorded. A simulated world's
// recorder (sim/history_recorder.hpp) or a real run's runner fills these in;
// the checkers in properties/ read them.
//
// Thread-safety: plain values and pure functions; safe from any thread.
//
//   history::Operation op{.id = 1, .client = history::ProcessId{0}, .key = "k"};
//   history::name_of(op.kind) == "acquire";
//   history::op_status_named("info") == history::OpStatus::info;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "locklab/history/process_id.hpp"
#include "locklab/history/time.hpp"

namespace locklab::history {

// command: a raw command a workload sent to one node (its reply, as
// redis-cli shows it, is the outcome); it acts for no grant.
// note: an instant remark of the harness or of a component a client runs
// (a watchdog's loss notification, a wait_until's result); never a lock call.
enum class OpKind : std::uint8_t { acquire, release, extend, write, command, note };
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
  // Who invoked it: the client's name, or a holder inside it (a lock
  // manager's waiter, "c1/w2"). Grants of different names are different
  // holders, even in one process.
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
  // A call that takes a deadline (acquire, extend, a watchdog's renewal, a
  // lock manager's wait, try_lock_for): that deadline on the invoker's own clock, so the liveness
  // checker can judge that the call returned by it. Absent on other calls.
  std::optional<LocalTime> deadline_local;

  bool operator==(const Operation&) const = default;
};

// One fault at its true time, in words ("pause client-1").
struct FaultNote {
  TrueTime at{};
  std::string what;

  bool operator==(const FaultNote&) const = default;
};

}  // namespace locklab::history
