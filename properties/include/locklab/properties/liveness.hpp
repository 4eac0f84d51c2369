// locklab/properties/liveness.hpp — after the faults heal, clients that keep
// trying get the lock; local waiters are served in order; a crashed holder's
// lock comes free; a call returns by its deadline; a stuck world is reported
// with what each client waits on.
//
// Provides check_liveness over a history and a LivenessInput: the bounds
// (computed by the caller from the scenario's lock options and workload), the
// true time of the last heal, the end of the run and why it ended, and the
// crashes and pauses of client processes. Five rules (docs/properties.md has them in
// full); the first violation is the one that became certain earliest:
//
//   progress        after the last heal, a key is "waited for" while some
//                   client keeps trying to acquire it (acquires in flight,
//                   gaps between them no longer than think_max) and no grant
//                   of the key is made or believed and no operation that may
//                   have set the key is in its last attempt. A wait longer
//                   than bound() is a violation. A holder that keeps holding
//                   legitimately is not: its belief is not waiting time. A
//                   grant whose belief is empty (released the instant it was
//                   granted) still ends the wait.
//   fifo            (when fifo_local_waiters) two acquires of one key by one
//                   process, A invoked before B: B completing ok while A is
//                   still in flight is a violation (a lock manager's local
//                   waiters are served first come, first served).
//   crashed_holder  a client process that crashes at x (x at or after the
//                   last heal) while believing it holds key k: counting from
//                   x (or from when a waiter began trying, if later), no
//                   client may keep trying for longer than bound() before
//                   some other grant of k completes. The crashed holder's own
//                   belief, which runs on to its validity end, does not count.
//   stuck           the run ended idle (no events left) with operations of
//                   live processes still pending: they can never complete.
//   deadline        a call that took a deadline (Operation::deadline_local:
//                   acquire, extend, a watchdog's renewal, a lock
//                   manager's wait, try_lock_for)
//                   completed later than deadline + bounds.deadline_slack by
//                   its own process's clock — at any time, faults or not — unless
//                   that process was paused or its clock stepped during the
//                   call (interruptions). A call still pending at the end is
//                   for progress and stuck to judge.
//
// Every verdict lists the operations still pending at the end (BlockedOp:
// client, op, key, since when). A run stopped on its budget with no violation
// is unknown, with that list; so is one where some grant's belief cannot be
// computed.
//
// Info and pending operations: an info acquire is not a grant (no belief,
// no progress), but it may have set the key on the servers during its last
// attempt, so the interval [max(invoked, completed - attempt_max), completed)
// is not waiting time; the same for an info extend and for an acquire or
// extend left pending by a crash of its process (its "completion" is the
// crash). The key so set lives at most ttl + drift after that, which bound()
// allows for.
//
// Violation data: progress: first = the blocked acquire (in flight when the
// wait became overdue, or the next one of the chain), second = the last grant
// of the key believed before the wait (grant 0 if none); fifo: first = the
// earlier-invoked acquire A, second = the grant B that overtook it;
// crashed_holder: first = the crashed holder's grant, second = the blocked
// acquire; deadline: first = the late acquire (as a grant view, believed
// or not) or the grant the late extend acts for, at/until = its invocation
// and completion;
// stuck: first = the earliest blocked op as a grant view (acquires;
// otherwise its grant), second empty. at/until: the wait's start and the
// moment it became overdue (progress, crashed_holder); B's invocation and
// completion (fifo); the earliest blocked op's invocation and the run's end
// (stuck).
//
// Cost: O(n log n) in the history (sorting, ordered maps), plus, for each
// grant whose holder crashed while believing, the info and crash-pending
// attempts on its key (few; the number of such grants is bounded by the fault
// schedule's crashes).
//
//   properties::LivenessInput in{.bounds = {.ttl = 10s, .drift_allowance = 102ms,
//                                           .retry_delay_max = 200ms, .attempt_max = 50ms,
//                                           .think_max = 10ms},
//                                .last_heal = heal, .run_end = world.true_now(),
//                                .crashes = crashes};  // scenarios::client_crashes(schedule, clients)
//   Verdict v = properties::check_liveness(history, in, notes);
//
// Thread-safety: the checkers are pure functions of their arguments and the
// types plain values; many checks may run at once on different threads.
#pragma once

#include <initializer_list>

#include <cstdint>
#include <span>
#include <vector>

#include "locklab/history/history.hpp"
#include "locklab/properties/verdict.hpp"

namespace locklab::properties {

// What the scenario promises about time, all in true time. The caller derives
// them from the lock's options and the workload; the checker only adds them.
struct LivenessBounds {
  // The lock's TTL: how long a key set on a server can stay there.
  history::Duration ttl{};
  // How much longer than ttl a key can live, measured in true time: the lock's
  // drift term (drift_factor × ttl + its constant) plus the largest rate
  // difference between the servers' clocks and true time over a ttl.
  history::Duration drift_allowance{};
  // The longest sleep between two attempts within one acquire call.
  history::Duration retry_delay_max{};
  // The longest one attempt takes: sending to every node and waiting for the
  // replies or their timeouts, plus the unlock of a failed attempt.
  history::Duration attempt_max{};
  // The longest gap between an acquire that returned without the lock and the
  // same workload's next acquire of the key (its think time): acquires of a
  // key separated by no more than this count as one client "keeping trying".
  history::Duration think_max{};
  // How long after its deadline a call may return (docs/locks.md states it:
  // a failed attempt's undo release runs under its own node timeout).
  history::Duration deadline_slack{};

  // The longest a client that keeps trying may wait for a key once faults are
  // over: a key set just before the wait lives ttl + drift_allowance; the
  // attempt that meets it fails within attempt_max, the retry sleeps up to
  // retry_delay_max, and the next attempt succeeds within attempt_max.
  // Saturates at Duration::max(): a scenario may state durations up to
  // centuries, and their sum must not wrap into the past.
  history::Duration bound() const {
    return saturating_sum({ttl, drift_allowance, retry_delay_max, attempt_max, attempt_max});
  }

  // a + b + ..., or Duration::max() when the sum would pass it (terms >= 0).
  static history::Duration saturating_sum(std::initializer_list<history::Duration> terms) {
    history::Duration::rep total = 0;
    for (const history::Duration d : terms) {
      if (__builtin_add_overflow(total, d.count(), &total)) return history::Duration::max();
    }
    return history::Duration(total);
  }
  // k × d, or Duration::max() when it would pass it (k, d >= 0).
  static history::Duration saturating_times(history::Duration::rep k, history::Duration d) {
    history::Duration::rep product = 0;
    if (__builtin_mul_overflow(k, d.count(), &product)) return history::Duration::max();
    return history::Duration(product);
  }
};

// A stretch of true time [from, to] in which a client process did not run
// (paused) or, from == to, the instant its clock stepped.
struct ClientInterruption {
  history::ProcessId process = history::kNoProcess;
  history::TrueTime from{};
  history::TrueTime to{};

  bool operator==(const ClientInterruption&) const = default;
};

// A client process that crashed or was killed (its fibers died) at `at`.
struct ClientCrash {
  history::ProcessId process = history::kNoProcess;
  history::TrueTime at{};

  bool operator==(const ClientCrash&) const = default;
};

enum class RunEnd : std::uint8_t {
  deadline,  // the run reached its planned end; pending ops are judged by the bounds
  idle,      // the world ran out of events: pending ops can never complete
  budget,    // the run was cut short by its event budget: undecided ops make it unknown
};

struct LivenessInput {
  LivenessBounds bounds;
  // The true time after which no fault is active except the client crashes
  // below (every partition healed, every paused process resumed, every crashed
  // master restarted, no more clock jumps or delays). A clock jump is over the
  // instant it happens: what it causes afterwards (a key that lives longer on
  // a server whose clock stepped back) is for the rules to judge, not to
  // excuse. 0 when there were none.
  history::TrueTime last_heal{};
  history::TrueTime run_end{};
  RunEnd ended = RunEnd::deadline;
  // Crashes and kills of client processes, any order.
  std::vector<ClientCrash> crashes;
  // Pauses and clock steps of client processes, any order (the deadline rule).
  std::vector<ClientInterruption> interruptions;
  // Concurrent acquires of one key by one process are a lock manager's local
  // waiters and must be served in order. Off for workloads that run several
  // independent plain locks in one process.
  bool fifo_local_waiters = true;
};

Verdict check_liveness(const history::History& history, const LivenessInput& input,
                       std::span<const FaultNote> faults = {});

}  // namespace locklab::properties
