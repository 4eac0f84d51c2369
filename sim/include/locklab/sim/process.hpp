// locklab/sim/process.hpp — what code running inside a simulated process sees.
//
// Provides Process (identity, its own clock, sleeping, spawning fibers,
// randomness, disk, network), Signal (a kill-aware condition a process's
// fibers wait on with a deadline), and ProcessSpec (how a World creates one).
//
// A process is a set of Boost.Fiber fibers started from its main function.
// Every blocking call takes virtual time on the process's own clock and may
// report SimError::killed. When a process is killed, its fibers are unwound:
// the next (or current) blocking call throws ProcessKilled, which only the
// world catches; while a fiber is unwinding (or inside a NoThrowScope), calls
// return SimError::killed at once instead and send nothing, so destructors
// never block or throw. Non-blocking calls (notify, close, note) never throw.
//
// Deliberately absent: anything that reads true time. A process knows only
// its own clock.
//
//   world.add_process({.name = "client", .main = [](sim::Process& p) {
//     p.sleep_for(10ms);
//     auto conn = p.connect(server, p.now() + 100ms);
//   }});
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/clock.hpp"
#include "locklab/sim/detail/fiber_table.hpp"
#include "locklab/sim/disk.hpp"
#include "locklab/sim/errors.hpp"
#include "locklab/sim/ids.hpp"
#include "locklab/sim/network.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"
#include "locklab/sim/wait_queue.hpp"

namespace locklab::sim {

class World;
class Process;

enum class ProcessState : std::uint8_t { running, paused, killed, crashed, exited };
std::string_view name_of(ProcessState state);

struct ProcessSpec {
  std::string name;
  ClockSpec clock{};
  std::function<void(Process&)> main;
  bool start = true;  // false: created down; a ProcessRestart fault starts it
};

class Process {
 public:
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  ProcessId id() const { return id_; }
  const std::string& name() const { return spec_.name; }
  std::uint64_t incarnation() const { return incarnation_; }
  ProcessState state() const { return state_; }
  bool up() const { return state_ == ProcessState::running || state_ == ProcessState::paused; }
  World& world() { return world_; }

  // This process's own clock.
  LocalTime now() const;
  const ProcessClock& clock() const { return clock_; }

  // Blocking calls: only from this process's fibers.
  SimResult<void> sleep_for(Duration d);
  SimResult<void> sleep_until(LocalTime t);
  // Sleeps d as a timer on a monotonic clock: at this clock's rate (drift
  // included), but a clock jump meanwhile neither ends it early nor
  // lengthens it (redis-server's cron, timed on CLOCK_MONOTONIC).
  SimResult<void> sleep_for_monotonic(Duration d);
  SimResult<void> yield();  // lets other ready fibers run; takes no virtual time

  // Starts another fiber in this process (unwound with it on a kill).
  // False, with nothing started, when the process is killed and the caller
  // is inside a NoThrowScope (outside one, a killed caller unwinds).
  bool spawn(std::string name, std::function<void()> body);
  // The calling fiber of this process, as a number that is never 0: equal
  // for calls from one fiber, different for different fibers.
  std::uint64_t current_fiber_id() const;

  // This incarnation's random stream (a fresh stream after each restart).
  Rng& rng() { return rng_; }
  // Storage that outlives incarnations (see Disk for what a crash keeps).
  Disk& disk() { return disk_; }
  // A line in the trace, attributed to this process.
  void note(std::string_view text);

  // Opens a connection; the handshake takes a round trip on the network.
  SimResult<Socket> connect(ProcessId target, LocalTime deadline);
  // Starts accepting connections (idempotent for this incarnation).
  Listener listen();

  // While one is alive on the calling fiber, a kill is reported as
  // SimError::killed rather than thrown (for code that must not throw, such
  // as a destructor that releases a lock).
  class NoThrowScope {
   public:
    explicit NoThrowScope(Process& p);
    ~NoThrowScope();
    NoThrowScope(const NoThrowScope&) = delete;
    NoThrowScope& operator=(const NoThrowScope&) = delete;

   private:
    World& world_;
    FiberHandle fiber_;
  };

 private:
  friend class World;
  friend class Network;
  friend class Signal;
  friend class Listener;
  friend class std::default_delete<Process>;
  Process(World& world, ProcessId id, ProcessSpec spec, TrueTime created);
  ~Process() = default;

  World& world_;
  ProcessId id_;
  ProcessSpec spec_;
  ProcessClock clock_;
  ProcessState state_ = ProcessState::killed;
  std::uint64_t incarnation_ = 0;
  Rng rng_;
  Disk disk_;
  std::vector<FiberHandle> fibers_;  // live fibers, in spawn order
  std::vector<std::pair<FiberHandle, WakeReason>> deferred_wakes_;  // while paused
  std::set<ConnectionId> connections_;  // with an end owned by this process
  bool listening_ = false;
  std::deque<ConnectionId> backlog_;  // accepted by the kernel, not yet by the process
  WaitQueue accept_waiters_;
};

// A condition that fibers of one process wait on, with a local deadline.
class Signal {
 public:
  explicit Signal(Process& owner) : owner_(owner) {}
  // ok: notified (possibly spuriously); timed_out; killed.
  SimResult<void> wait(std::optional<LocalTime> deadline = std::nullopt);
  void notify_one();
  void notify_all();

 private:
  Process& owner_;
  WaitQueue waiters_;
};

}  // namespace locklab::sim
