// locklab/properties/verdict.hpp — what a checker says about a history.
//
// Provides Verdict (ok, violation or unknown, a summary in words, and the
// first violation as data), Violation (the two grants involved with their
// belief intervals and operations, the writes involved if any, and the faults
// in a window around it), GrantView (one grant as the checkers see it) and
// the functions that derive grants and belief intervals from a history, shared
// by every checker so they all mean the same thing by "belief".
//
// Belief of a grant (docs/properties.md has the definition in full): from the
// true time its acquire completed ok until the earliest of the invocation of
// any release of that grant, the true time its holder's clock reaches the end
// of validity (as last moved by an ok extend), and the completion of a failed
// extend. An acquire that completed info or never completed gives no belief.
// Intervals are half-open, [start, end): two that merely touch do not overlap.
//
// Deliberately absent: any simulation. Checkers are pure functions of a
// history (and a storage log); they never see a world.
//
//   Verdict v = check_mutual_exclusion(history, faults);
//   if (v.kind == Verdict::Kind::violation) std::cout << v.summary << "\n";
//
// Thread-safety: the checkers are pure functions of their arguments and the
// types plain values; many checks may run at once on different threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "locklab/history/history.hpp"
#include "locklab/history/storage_log.hpp"
#include "locklab/history/time.hpp"

namespace locklab::properties {

using history::FaultNote;

// Faults within this margin before the earlier grant's acquire was invoked and
// after the violation's last moment are reported with it.
inline constexpr history::Duration kFaultMargin = std::chrono::seconds(1);

// One grant: an acquire and every operation that acts for it.
struct GrantView {
  std::uint64_t grant = 0;  // the acquire's op id
  history::ProcessId client = history::kNoProcess;
  std::string client_name;
  std::string key;
  history::OpStatus acquire_status = history::OpStatus::pending;
  history::TrueTime acquire_invoked{};
  history::TrueTime acquire_completed{};  // meaningful unless pending
  // The belief interval [start, end); absent when the acquire was not ok, or
  // when its end cannot be known (see unknown_why).
  std::optional<history::TrueTime> belief_start;
  std::optional<history::TrueTime> belief_end;
  std::string belief_ended_by;  // "release 5", "validity end", "extend 7 failed"
  std::string unknown_why;      // non-empty: this grant's belief cannot be computed
  std::vector<std::uint64_t> ops;  // the acquire, then the ops of this grant, in history order

  bool believed() const { return belief_start && belief_end && *belief_start < *belief_end; }
  bool operator==(const GrantView&) const = default;
};

// A write in the storage log, with its position there.
struct LoggedWrite {
  std::size_t index = 0;  // position in the log
  history::StorageWrite write;

  bool operator==(const LoggedWrite&) const = default;
};

struct Violation {
  // Which rule of the checker: empty for mutual exclusion and resource safety
  // (one rule each); liveness: "progress", "fifo", "crashed_holder",
  // "deadline", "stuck"; token hygiene: "fencing_order", "fencing_missing",
  // "lock_token_repeat". Each checker's header says what first/second mean.
  std::string rule;
  // Mutual exclusion: the grant that started believing first, and the other.
  // Resource safety: the earlier-ordered grant (whose write came late) and
  // the later-ordered one.
  GrantView first;
  GrantView second;
  // Resource safety only: the later grant's write accepted first, then the
  // earlier grant's write accepted after it.
  std::vector<LoggedWrite> writes;
  // The violation in true time: the overlap (mutual exclusion), or from the
  // later grant's write to the stale write (resource safety).
  history::TrueTime at{};
  history::TrueTime until{};
  // Faults in [window_start, window_end], in the order given.
  history::TrueTime window_start{};
  history::TrueTime window_end{};
  std::vector<FaultNote> faults;

  bool operator==(const Violation&) const = default;
};

// An operation still pending when the run ended, of a process that did not
// crash after invoking it: what a waiting client is blocked on, and since when.
struct BlockedOp {
  history::ProcessId client = history::kNoProcess;
  std::string client_name;
  std::uint64_t op = 0;
  history::OpKind kind = history::OpKind::acquire;
  std::string key;
  history::TrueTime since{};  // the op's invocation

  bool operator==(const BlockedOp&) const = default;
};

struct Verdict {
  enum class Kind : std::uint8_t { ok, violation, unknown };
  Kind kind = Kind::ok;
  std::string checker;  // "mutual_exclusion", "resource_safety", "liveness", "token_hygiene"
  std::string summary;  // the first violation (or why unknown) in words
  std::optional<Violation> first;
  // Liveness only: every operation blocked at the end of the run, by client
  // index then op id (also listed in the summary).
  std::vector<BlockedOp> blocked;

  bool operator==(const Verdict&) const = default;
};

std::string_view name_of(Verdict::Kind kind);

// Every acquire in the history as a grant, by grant id, with its belief
// interval. Operations naming a grant that has no acquire are not in it.
std::map<std::uint64_t, GrantView> grants_of(const history::History& history);

// "believed [10ms, 1.01s), ended by validity end", "no belief (acquire info)".
std::string describe_belief(const GrantView& grant);
// "grant 3 (client-1, acquire invoked 5ms) believed [10ms, 1.01s), ended by release 5".
std::string describe_grant(const GrantView& grant);

// The faults with window_start <= at <= window_end, and the window itself.
void attach_faults(Violation& violation, history::TrueTime window_start, history::TrueTime window_end,
                   std::span<const FaultNote> faults);
// "faults in [0ns, 2.5s]: 400ms pause client-1; 1.4s resume client-1".
std::string describe_faults(const Violation& violation);

}  // namespace locklab::properties
