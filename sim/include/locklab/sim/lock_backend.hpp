// locklab/sim/lock_backend.hpp — the lock algorithms' Backend, for a client
// process inside a world.
//
// Provides LockBackend: lockimpl's Backend concept (locklab/lock/backend.hpp)
// implemented by a simulated process talking to simulated Redis nodes over
// the simulated network:
//   - now() and sleep_until() are the process's own clock (drift and jumps
//     included); randomness is the process's seeded stream;
//   - each node has a pool of redis::Client connections: a request takes an
//     idle one or opens a new one, and a connection that timed out or broke
//     is closed, never reused (as a hiredis context must be replaced), so a
//     late reply can never answer a later request;
//   - fan_out() sends every request at once (FanOutMode::parallel, the
//     default; LockBackendOptions::fan_out), so they travel in parallel and
//     the call costs the slowest node's latency, not the sum. When the caller
//     watches replies or a stop token, each request runs on a fiber of its
//     own and the caller waits for replies, its deadline or its stop token
//     (sent requests then finish in the background; unsent ones are dropped,
//     never sent: not applied, no_slot at the deadline); otherwise, over open
//     pooled connections, the caller's fiber sends them all and then takes
//     the replies (no fiber per request: the common, cheap case). In
//     FanOutMode::sequential it asks one node after another, each as such a
//     fan-out of one node, under the one deadline (lock/backend.hpp);
//   - a fan-out's NOSCRIPT fallback goes out on the connection that got the
//     NOSCRIPT reply, as soon as that reply is taken;
//   - at most `max_in_flight` requests are out at once; a request that finds
//     no slot before its deadline fails with no_slot, unsent;
//   - tasks are fibers of this process (unwound with it on a kill), and a
//     task's identity is its fiber; Event is a manual-reset flag over
//     sim::Signal; Mutex is a no-op, because a world runs on one thread and
//     lockimpl never holds a Mutex across a blocking call (lockimpl is
//     written for real mutexes: the thread-backed tests prove it).
//
// Thread-safety: none needed and none provided — a LockBackend belongs to one
// simulated process, and a world runs on one thread.
//
// Fault model: whatever the network and the nodes do (sim/network.hpp,
// sim/redis/server.hpp). A killed client's blocking calls unwind (ProcessKilled)
// unless a NoThrowScope is alive, when they return killed at once.
//
// Deliberately absent: reading true time. Nodes are addressed by process id
// or by a resolver (a Deployment's logical name, looked up at each connect).
// Connections are pooled after a reply, except one that answered READONLY
// (a replica: after a failover, the demoted master), which is closed so the
// next request connects, and resolves the name, again.
//
//   sim::LockBackend backend(self, {node_a, node_b, node_c});
//   lock::RedLock<sim::LockBackend> lock(backend, {.ttl = 10s});
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/backend.hpp"
#include "locklab/sim/process.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

struct LockBackendOptions {
  std::size_t max_in_flight = 10;
  // parallel: as described above. sequential: fan_out() asks one node after
  // another, each as a fan-out of its own to that node alone (so each costs
  // its own round trip), under the one deadline (lock/backend.hpp).
  lock::FanOutMode fan_out = lock::FanOutMode::parallel;
};

struct LockNode {
  std::string name;
  std::function<ProcessId()> resolve;  // the node's process at connect time
};

// What a backend has done, for tests and reports.
struct LockBackendStats {
  std::uint64_t requests = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_dropped = 0;  // closed after a timeout or error, or stale
  std::uint64_t no_slot = 0;
  std::size_t peak_in_flight = 0;
};

class LockBackend {
 public:
  using clock = LocalClock;
  using time_point = LocalTime;
  using duration = Duration;
  struct TaskId {
    std::uint64_t fiber = 0;  // 0: no task
    friend bool operator==(TaskId, TaskId) = default;
  };

  LockBackend(Process& self, std::vector<ProcessId> nodes, LockBackendOptions options = {});
  LockBackend(Process& self, std::vector<LockNode> nodes, LockBackendOptions options = {});

  time_point now() const { return self_.now(); }
  bool sleep_until(time_point t, std::stop_token stop = {});
  bool sleep_for(duration d, std::stop_token stop = {}) { return sleep_until(now() + d, stop); }
  std::uint64_t random_u64() { return self_.rng().next_u64(); }

  std::size_t node_count() const;
  std::string node_name(std::size_t node) const;

  lock::NodeResult call(std::size_t node, const lock::Command& command, time_point deadline,
                        std::stop_token stop = {});
  std::vector<lock::NodeResult> fan_out(std::span<const std::size_t> nodes,
                                        const lock::Command& command, time_point deadline,
                                        std::stop_token stop = {},
                                        const lock::ReplyObserver& on_reply = {},
                                        const lock::Command& fallback = lock::no_fallback());
  bool spawn(std::string_view name, std::function<void()> task);
  TaskId current_task() const { return {self_.current_fiber_id()}; }

  // What the tasks this backend spawns must keep alive: each holds `owner`
  // (when it still exists) until it has finished. A killed process's fibers
  // unwind one by one, and a task woken by a stop its owner sent while
  // unwinding runs on until its next blocking call; the owner (the client's
  // locks, and this backend with them) must outlive it. Held weakly here.
  void keep_alive_while_tasks_run(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  class Event {
   public:
    explicit Event(LockBackend& backend) : signal_(backend.self_) {}
    void set() {
      set_ = true;
      signal_.notify_all();
    }
    void reset() { set_ = false; }
    bool is_set() const { return set_; }
    lock::WaitStatus wait_until(time_point deadline, std::stop_token stop = {});

   private:
    Signal signal_;
    bool set_ = false;
  };

  struct Mutex {  // fibers of one process never run at once: nothing to exclude
    void lock() {}
    void unlock() {}
    bool try_lock() { return true; }
  };

  class NoThrowScope {
   public:
    explicit NoThrowScope(LockBackend& backend) : scope_(backend.self_) {}

   private:
    Process::NoThrowScope scope_;
  };

  Process& process() { return self_; }
  const LockBackendStats& stats() const;
  std::size_t in_flight() const;

 private:
  struct Core;
  // fan_out() in FanOutMode::parallel.
  std::vector<lock::NodeResult> parallel(std::span<const std::size_t> nodes, const lock::Command& command,
                                         time_point deadline, std::stop_token stop,
                                         const lock::ReplyObserver& on_reply, const lock::Command& fallback);
  std::vector<lock::NodeResult> pipelined(std::span<const std::size_t> nodes,
                                          const lock::Command& command, time_point deadline,
                                          const lock::Command& fallback);
  std::vector<lock::NodeResult> on_fibers(std::span<const std::size_t> nodes,
                                          const lock::Command& command, time_point deadline,
                                          std::stop_token stop,
                                          const lock::ReplyObserver& on_reply,
                                          const lock::Command& fallback);
  Process& self_;
  std::shared_ptr<Core> core_;  // shared with request fibers that outlive a call
  std::weak_ptr<void> owner_;   // kept alive by spawned tasks
};

static_assert(lock::Backend<LockBackend>);

}  // namespace locklab::sim
