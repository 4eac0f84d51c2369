// locklab/lock/backend.hpp — the seam between the lock algorithms and a world.
//
// Provides the Backend concept: everything an algorithm in lockimpl may use to
// touch the outside. Every effect goes through it — time, sleeping,
// randomness, Redis commands, concurrency — so one algorithm source runs
// unchanged in the deterministic simulation (sim::LockBackend) and against
// real Redis servers (the production backend over hiredis).
//
// What a backend provides, and the contract each part must keep:
//   clock, time_point, duration   the caller's own local clock (a chrono clock
//                                 type; it may drift or jump in simulation).
//   now()                         a reading of that clock.
//   sleep_until(t, stop)          false if `stop` fired (or the backend shut
//                                 down) first.
//   random_u64()                  unguessable randomness in production (a
//                                 CSPRNG); the world's seeded stream in
//                                 simulation. Lock tokens and retry jitter.
//   node_count(), node_name(i)    the Redis nodes this backend reaches.
//   call(i, cmd, deadline, stop)  one command to node i (a Command views the
//                                 caller's strings: copy what must outlive
//                                 the call); a Reply (error replies included)
//                                 or a NodeError that says whether the
//                                 command may have been applied. After a
//                                 timeout or broken connection the backend
//                                 drops that connection and opens a new one
//                                 for the next request, so a late reply is
//                                 never matched to a later request.
//   fan_out(nodes, cmd, deadline, stop, on_reply, fallback)
//                                 the one command `cmd` to each of `nodes`
//                                 (a node may be listed more than once), all
//                                 at once, in parallel: it costs the slowest
//                                 node's latency, not the sum — unless the
//                                 backend was built with FanOutMode::
//                                 sequential (below). The backend
//                                 may keep no reference to `cmd` after the
//                                 call (a request still out copies what it
//                                 needs).
//                                 `fallback`, when not empty, is sent on the
//                                 same connection to a node whose reply to
//                                 `cmd` is a NOSCRIPT error, within the same
//                                 deadline (EVAL after EVALSHA): that node's
//                                 result and its on_reply call are the
//                                 fallback's; the NOSCRIPT reply is never
//                                 seen.
//                                 on_reply(index, result) runs on the calling
//                                 thread (task), never on another, as each
//                                 final reply arrives, in arrival order;
//                                 returning false stops the wait early. The
//                                 result vector is index-aligned with `nodes`
//                                 (same size); an entry still out at return is
//                                 timed_out or cancelled, maybe_applied iff it
//                                 was sent (an unsent one is abandoned, never
//                                 sent). Both call and fan_out bound the
//                                 requests in flight: one that finds no free
//                                 slot before its deadline fails with no_slot,
//                                 never sent.
//   spawn(name, task) -> bool     runs `task` concurrently with the caller (a
//                                 fiber of the same process in simulation, a
//                                 thread in production). The backend owns the
//                                 task and joins it at its own shutdown. It
//                                 returns false, having run nothing and kept
//                                 nothing of `task`, when it cannot start one
//                                 (shutting down, out of threads); it never
//                                 throws for that, so a caller's structures
//                                 are never left half-updated.
//   current_task() -> TaskId      who is calling: equal for calls from the
//                                 same task (thread, or fiber in simulation),
//                                 different otherwise; TaskId{} is no task.
//                                 What NamedMutex needs to know its owner:
//                                 std::this_thread::get_id() cannot tell
//                                 fibers that share a thread apart.
//   Event                         a manual-reset flag: set(), reset(),
//                                 is_set(), wait_until(deadline, stop).
//   Mutex                         BasicLockable; guards state shared between
//                                 tasks. Never held across a blocking call.
//                                 A real mutex in production: lockimpl never
//                                 relies on tasks not running at once.
//   NoThrowScope                  while one lives on the calling task, the
//                                 backend reports its own shutdown (a killed
//                                 simulated process) as a NodeError or a false
//                                 return instead of unwinding — for
//                                 destructors that release a lock.
//
// Threads. A backend object is shared by every task of its process, so these
// members may be called concurrently from several threads: now, sleep_until,
// random_u64, node_count, node_name, call, fan_out, spawn, current_task, and
// every member of one Event. The lock manager runs acquires for different
// keys at once on one backend and one lock object, so RedLock,
// SingleNodeLock and NaiveLock objects may be used from many threads at once
// too (they hold no mutable state of their own after construction). A
// Mutex is a mutex. NoThrowScope is per task.
//
// Time. A deadline may be time_point::max() ("none"); a backend must not
// overflow converting it (to a poll timeout, a relative wait, a virtual time).
//
// Exceptions. A backend may unwind a task that must stop (a simulated kill)
// with an exception type lockimpl does not know. lockimpl therefore never
// writes `catch (...)`, and catches nothing it did not throw. Apart from that
// unwinding, nothing on a release path throws (release, unlock, destructors,
// Event::set, Mutex::unlock), and inside a NoThrowScope nothing throws at all.
//
// Deliberately absent: connection management, addresses, credentials — a
// backend is built already pointing at its nodes.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/reply.hpp"

namespace locklab::lock {

enum class WaitStatus : std::uint8_t { signalled, timed_out, cancelled };

// Called for each reply as it arrives; false: stop waiting for the rest.
using ReplyObserver = std::function<bool(std::size_t index, const NodeResult& result)>;

// How a backend's fan_out sends its command to several nodes: a choice made
// when the backend is built (sim::LockBackendOptions::fan_out,
// hiredis::Options::fan_out), not by the algorithm, which reads the same
// results either way.
//   parallel    every request at once; the fan-out costs the slowest
//               node's round trip.
//   sequential  one node after another, in the order of `nodes`: send,
//               wait for that node's reply (its NOSCRIPT fallback included)
//               or the fan-out's deadline, then the next, as a sequential
//               client (redis-plus-plus's RedLock) does. It costs the sum of
//               the round trips; the one deadline bounds the whole sequence,
//               so a slow node leaves less time to the nodes after it, and a
//               node whose turn comes after the deadline is timed_out, never
//               sent (maybe_applied false). on_reply runs after each node's
//               reply; false, or the stop token, leaves the rest unsent
//               (cancelled, maybe_applied false).
enum class FanOutMode : std::uint8_t { parallel, sequential };

inline std::string_view name_of(FanOutMode mode) {
  return mode == FanOutMode::sequential ? "sequential" : "parallel";
}

// fan_out's `fallback` when there is none.
inline const Command& no_fallback() {
  static const Command none;
  return none;
}

template <typename B>
concept Backend =
    requires(B& b, const B& cb, std::size_t node, const Command& command,
             std::span<const std::size_t> nodes, typename B::time_point deadline,
             std::stop_token stop, std::function<void()> task, ReplyObserver on_reply) {
      typename B::clock;
      typename B::time_point;
      typename B::duration;
      typename B::TaskId;
      requires std::same_as<typename B::time_point, typename B::clock::time_point>;
      requires std::same_as<typename B::duration, typename B::clock::duration>;
      requires std::convertible_to<std::chrono::milliseconds, typename B::duration>;
      requires std::equality_comparable<typename B::TaskId>;
      requires std::default_initializable<typename B::TaskId>;
      { b.now() } -> std::same_as<typename B::time_point>;
      { b.sleep_until(deadline, stop) } -> std::same_as<bool>;
      { b.random_u64() } -> std::same_as<std::uint64_t>;
      { cb.node_count() } -> std::same_as<std::size_t>;
      { cb.node_name(node) } -> std::convertible_to<std::string>;
      { b.call(node, command, deadline, stop) } -> std::same_as<NodeResult>;
      { b.fan_out(nodes, command, deadline, stop, on_reply, command) }
          -> std::same_as<std::vector<NodeResult>>;
      { b.spawn(std::string_view{}, task) } -> std::same_as<bool>;
      { b.current_task() } -> std::same_as<typename B::TaskId>;
      typename B::Event;
      typename B::Mutex;
      typename B::NoThrowScope;
      requires std::constructible_from<typename B::Event, B&>;
      requires std::constructible_from<typename B::NoThrowScope, B&>;
      requires std::default_initializable<typename B::Mutex>;
      requires requires(typename B::Event& e, typename B::Mutex& m) {
        e.set();
        e.reset();
        { e.is_set() } -> std::same_as<bool>;
        { e.wait_until(deadline, stop) } -> std::same_as<WaitStatus>;
        m.lock();
        m.unlock();
      };
    };

}  // namespace locklab::lock
