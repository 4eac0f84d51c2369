// locklab/lock/backend.hpp — the seam between the lock algorithms and a world.
//
// Provides the Backend concept: everything an algorithm in lockimpl may use to
// touch the outside. Every effect goes through it — time, sleeping,
// randomness, Redis commands, concurrency — so one algorithm source runs
// unchanged in the deterministic simulation (sim::LockBackend) and against
// real Redis servers (the hiredis backend of a later issue).
//
// What a backend provides, and the contract each part must keep:
//   clock, time_point, duration   the caller's own local clock (a chrono clock
//                                 type; it may drift or jump in simulation).
//   now()                         a reading of that clock.
//   sleep_until(t, stop)          false if `stop` fired first.
//   random_u64()                  unguessable randomness in production (a
//                                 CSPRNG); the world's seeded stream in
//                                 simulation. Lock tokens and retry jitter.
//   node_count(), node_name(i)    the Redis nodes this backend reaches.
//   call(i, cmd, deadline, stop)  one command to node i (a Command views the
//                                 caller's strings: copy what must outlive
//                                 the call); a Reply (error
//                                 replies included) or a NodeError that says
//                                 whether the command may have been applied.
//                                 After a timeout or broken connection the
//                                 backend drops that connection and opens a
//                                 new one for the next request, so a late
//                                 reply is never matched to a later request.
//   fan_out(nodes, cmd, deadline, stop, on_reply)
//                                 the one command `cmd` to each of `nodes`
//                                 (a node may be listed more than once), all
//                                 at once, in parallel: it costs the slowest
//                                 node's latency, not the sum. Every lock
//                                 sends the same command everywhere, so it is
//                                 built once per fan-out, not once per node;
//                                 the backend may keep no reference to it
//                                 after the call (a request still out copies
//                                 what it needs).
//                                 on_reply(index, result) runs on the calling
//                                 task as each reply arrives; returning false
//                                 stops the wait early. The result vector is
//                                 index-aligned with `nodes`; an entry still
//                                 outstanding when fan_out returns is a
//                                 NodeError (timed_out or cancelled) with
//                                 maybe_applied = true.
//                                 Both call and fan_out respect the backend's
//                                 bound on requests in flight: a request that
//                                 finds no free slot before its deadline fails
//                                 with no_slot, never sent.
//   spawn(name, task)             runs `task` concurrently with the caller (a
//                                 fiber of the same process in simulation).
//   Event                         a manual-reset flag: set(), reset(),
//                                 is_set(), wait_until(deadline, stop).
//   Mutex                         BasicLockable; guards state shared between
//                                 tasks. Never held across a blocking call.
//   NoThrowScope                  while one lives on the calling task, the
//                                 backend reports its own shutdown (a killed
//                                 simulated process) as a NodeError or a false
//                                 return instead of unwinding — for
//                                 destructors that release a lock.
//
// The contract on exceptions: a backend may unwind a task that must stop (a
// simulated kill) with an exception type lockimpl does not know. lockimpl
// therefore never writes `catch (...)`, and catches nothing it did not throw.
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

template <typename B>
concept Backend =
    requires(B& b, const B& cb, std::size_t node, const Command& command,
             std::span<const std::size_t> nodes, typename B::time_point deadline,
             std::stop_token stop, std::function<void()> task, ReplyObserver on_reply) {
      typename B::clock;
      typename B::time_point;
      typename B::duration;
      requires std::same_as<typename B::time_point, typename B::clock::time_point>;
      requires std::same_as<typename B::duration, typename B::clock::duration>;
      requires std::convertible_to<std::chrono::milliseconds, typename B::duration>;
      { b.now() } -> std::same_as<typename B::time_point>;
      { b.sleep_until(deadline, stop) } -> std::same_as<bool>;
      { b.random_u64() } -> std::same_as<std::uint64_t>;
      { cb.node_count() } -> std::same_as<std::size_t>;
      { cb.node_name(node) } -> std::convertible_to<std::string>;
      { b.call(node, command, deadline, stop) } -> std::same_as<NodeResult>;
      { b.fan_out(nodes, command, deadline, stop, on_reply) } -> std::same_as<std::vector<NodeResult>>;
      b.spawn(std::string_view{}, task);
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
