// locklab/sim/world.hpp — one deterministic simulation.
//
// Provides World: it owns everything of one simulation — true time, the event
// queue, the processes (Boost.Fiber fibers), their clocks and disks, the
// network, the fault schedule and the trace. A world plus a seed gives the
// same trace, byte for byte, on every run.
//
// How time moves: the run loop lets every ready fiber run (in FIFO order, or a
// seeded random pick), and only when none is ready takes the next event from
// the queue (ties broken by scheduling order), sets true time to it and fires
// it. Sleeps and timeouts are world timers on the sleeping process's own clock.
//
// Limits: an event budget (queue events plus fiber resumptions) and a virtual
// time limit. Exceeding either stops the run with RunStatus::budget_exhausted,
// so a zero-delay retry loop ends the run instead of hanging it.
//
// Threads: a world is used on the thread that made it. Many worlds may exist
// in one process, one after another or at once on several threads; there is
// no global state beyond each thread's Boost.Fiber scheduler. Destroying a
// world unwinds every fiber still blocked in it.
//
// Deliberately absent: real time, real threads and real sockets.
//
//   sim::World world({.seed = 7});
//   auto server = world.add_process({.name = "server", .main = serve});
//   world.schedule({.at = sim::true_time(1s), .action = sim::ProcessPause{server}});
//   sim::RunResult r = world.run_until(sim::true_time(10s));
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "locklab/sim/detail/fiber_table.hpp"
#include "locklab/sim/event_queue.hpp"
#include "locklab/sim/fault.hpp"
#include "locklab/sim/latency.hpp"
#include "locklab/sim/network.hpp"
#include "locklab/sim/process.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/time.hpp"
#include "locklab/sim/trace.hpp"
#include "locklab/sim/wait_queue.hpp"

namespace boost::fibers {
class context;
}

namespace locklab::sim {

class WorldScheduler;

// The order in which ready fibers run.
enum class ReadyOrder : std::uint8_t {
  fifo,    // the order they became ready
  random,  // a seeded random pick among the ready ones (explores interleavings)
};

enum class StackKind : std::uint8_t {
  pooled,   // reused fixed-size stacks: fast, for large worlds
  guarded,  // one mmap per stack with a guard page: for sanitizer builds
};

struct Limits {
  std::uint64_t max_events = 500'000'000;
  Duration max_time = std::chrono::hours(24 * 7);
};

struct WorldConfig {
  std::uint64_t seed = 1;
  ReadyOrder order = ReadyOrder::fifo;
  Limits limits{};
  LatencyModel latency = FixedLatency{std::chrono::microseconds(100)};
  std::size_t stack_size = 0;  // 0: the build's default (larger under sanitizers)
  std::optional<StackKind> stacks;  // unset: the build's default
  TraceOptions trace{};
};

enum class RunStatus : std::uint8_t {
  idle,              // nothing left to do: no ready fiber, no future event
  reached_time,      // run_until's time came
  budget_exhausted,  // the event budget or the virtual-time limit ran out
  failed,            // a fiber threw, or used a real-clock wait (see detail)
};
std::string_view name_of(RunStatus status);

// A fault that could not apply when its time came: a restart of a process
// that is up, a resume of one not paused, a pause of one not running, a kill
// of one not up, a crash of a machine already down, a heal of links none of
// which is cut. The world runs on as if it were absent (fault.hpp says why);
// the record lets a runner warn about it and a shrinker drop it.
struct InapplicableFault {
  std::optional<std::size_t> index;  // in the order schedule() took the faults; none for apply()
  TrueTime at;
  std::string what;  // describe(action), with process names: "restart redis-0"
  std::string why;   // "process is up"

  bool operator==(const InapplicableFault&) const = default;
};

struct RunResult {
  RunStatus status = RunStatus::idle;
  TrueTime now;
  std::uint64_t events = 0;  // events processed by the world so far
  std::string detail;        // why, for budget_exhausted and failed
};

class World {
 public:
  explicit World(WorldConfig config = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // --- building ---
  ProcessId add_process(ProcessSpec spec);
  Process& process(ProcessId id);
  std::size_t process_count() const { return processes_.size(); }
  std::optional<ProcessId> find_process(std::string_view name) const;
  Network& network() { return *network_; }

  // --- faults and callbacks (at true times) ---
  void schedule(Fault fault);
  void schedule(const FaultSchedule& faults);
  void at(TrueTime when, std::function<void()> callback);
  void apply(const FaultAction& action);  // now
  // The fault in words, with process names ("pause server").
  std::string describe(const FaultAction& action) const;
  // Every fault so far that could not apply, in the order they came due.
  // Skipped pauses, resumes, kills, crashes and restarts are also trace
  // notes (in the trace hash); a heal of nothing is traced as any heal is.
  const std::vector<InapplicableFault>& inapplicable_faults() const { return inapplicable_; }

  // --- running (from outside the world's fibers) ---
  RunResult run();                     // until idle or a limit
  RunResult run_until(TrueTime until);  // leaves true time at `until` unless stopped early
  RunResult run_for(Duration d) { return run_until(now_ + d); }
  RunResult step();                    // one event, then every fiber it made ready

  // --- observation: true time is for the world, tests and checkers ---
  TrueTime true_now() const { return now_; }
  std::uint64_t events_processed() const { return work_; }
  std::size_t live_fibers() const { return fibers_.live(); }
  const Trace& trace() const { return trace_; }
  Trace& trace() { return trace_; }
  const WorldConfig& config() const { return config_; }
  // A generator for a component, derived from the world seed and `stream`.
  Rng fork_rng(std::string_view stream) const { return root_rng_.fork(stream); }
  // When process `id`'s clock first reads `target` at or after `from`.
  TrueTime true_time_reaching(ProcessId id, LocalTime target, TrueTime from) const;

  // --- for Process, Network, Signal and the scheduler ---
  void notify_one(WaitQueue& queue);
  void notify_all(WaitQueue& queue);
  // Parks the calling fiber of `process` on `queue` until notified, the local
  // deadline, or a kill. ok = notified; timed_out; killed. A monotonic
  // deadline keeps its true time when the process's clock jumps.
  SimResult<void> wait(Process& process, WaitQueue* queue, std::optional<LocalTime> deadline,
                       TimerClock timer_clock = TimerClock::wall);
  // For a call that sends or changes something: false if the calling fiber's
  // process is killed (the call must then do nothing). Throws ProcessKilled
  // when that is safe.
  bool admit(Process& process);
  // As admit(), but never throws: for calls made from destructors (close).
  bool admit_quietly(Process& process) noexcept;
  void record(ProcessId process, TraceKind kind, std::uint64_t a = 0, std::uint64_t b = 0,
              std::string_view text = {});
  // As above, with Trace::digest(text) already computed (a message's bytes,
  // recorded at send and again at delivery).
  void record(ProcessId process, TraceKind kind, std::uint64_t a, std::uint64_t b,
              std::string_view text, std::uint64_t text_digest);
  // Schedules an event that is never cancelled (the network's deliveries,
  // which carry a generation instead).
  void push_event(TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b = 0) {
    events_.push_uncancellable(at, kind, a, b);
  }

 private:
  friend class WorldScheduler;
  friend class Process;
  friend class WaitQueue;

  struct ReadyFiber {
    boost::fibers::context* ctx;
    FiberHandle handle;
  };

  // Run loop (world.cpp).
  RunResult drive(TrueTime until, bool single_step);
  void drain_ready();
  bool pop_live_event(Event& out);
  void dispatch(const Event& e);
  RunResult stop(RunStatus status, std::string detail = {});

  // Fibers (world_fibers.cpp).
  void spawn_fiber(Process& process, std::string name, std::function<void()> body, bool is_main);
  void fiber_main(FiberHandle handle);
  FiberHandle current_fiber(const Process& process) const;
  void unpark(FiberHandle handle, WakeReason reason);
  void make_ready(FiberRecord& fiber, WakeReason reason);
  void fire_timer(FiberHandle handle, std::uint64_t generation);
  void arm_timer(FiberHandle handle, FiberRecord& fiber, const Process& process);
  void reschedule_timers(Process& process);
  SimResult<void> enter_blocking(FiberRecord& fiber);
  void kill_fibers(Process& process);
  void unwind_all_for_teardown();

  // Called by WorldScheduler.
  bool has_ready() const { return !ready_.empty(); }
  bool fire_event_inline();
  bool fire_due_before_parking(FiberRecord& fiber);
  bool ready_contains(const boost::fibers::context* ctx) const {
    for (const ReadyFiber& r : ready_) {
      if (r.ctx == ctx) return true;
    }
    return false;
  }
  boost::fibers::context* take_ready();
  void push_ready(boost::fibers::context* ctx, FiberHandle handle);
  void note_real_clock_wait(FiberHandle handle);

  // Processes and faults (world_faults.cpp).
  void start_process(Process& process);
  void process_down(Process& process, ProcessState how);
  void apply_pause(ProcessId id);
  void apply_resume(ProcessId id);
  void apply_restart(ProcessId id);
  void apply_clock(ProcessId id, const FaultAction& action);
  // Records `action` as inapplicable; `traced`: also as a trace note.
  void skip_fault(const FaultAction& action, std::string_view why, bool traced = true);
  bool heals_a_cut(const LinkHeal& heal) const;
  bool valid(ProcessId id) const { return index_of(id) < processes_.size(); }

  WorldConfig config_;
  Rng root_rng_;
  Rng ready_rng_;
  TrueTime now_{};
  std::uint64_t work_ = 0;
  bool stop_requested_ = false;
  bool fire_inline_ = false;  // drive() is running, not single-stepping
  TrueTime drive_until_{};    // the `until` of the running drive()
  std::optional<std::string> failure_;
  std::optional<FiberHandle> real_clock_wait_;
  EventQueue events_;
  Trace trace_;
  FiberTable fibers_;
  std::deque<ReadyFiber> ready_;
  // The world fiber running on this thread now (generation 0: none — the
  // driver, Boost's dispatcher or a fiber outside the world). Kept by the
  // scheduler at every switch, so the calls into the world need not look the
  // fiber up through Boost's thread-local context::active().
  FiberHandle running_{0, 0};
  std::vector<std::unique_ptr<Process>> processes_;
  // Name -> id, for find_process: a world of 100,000 processes is built in
  // O(n log n), not O(n^2). Ordered (std::less<>: lookups by string_view).
  std::map<std::string, ProcessId, std::less<>> process_ids_;
  std::unique_ptr<Network> network_;
  std::vector<FaultAction> faults_;
  std::optional<std::size_t> applying_;  // the index in faults_ of the fault being applied
  std::vector<InapplicableFault> inapplicable_;
  std::vector<std::function<void()>> callbacks_;
  std::uint64_t next_fiber_id_ = 1;
  std::thread::id owner_thread_;
  WorldScheduler& scheduler_;
  struct StackPool;
  std::unique_ptr<StackPool> stacks_;
  bool tearing_down_ = false;
};

}  // namespace locklab::sim
