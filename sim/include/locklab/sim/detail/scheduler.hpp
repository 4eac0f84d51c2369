// locklab/sim/detail/scheduler.hpp — Boost.Fiber scheduling for worlds.
//
// Internal to the simulator. WorldScheduler is the thread's Boost.Fiber
// scheduling algorithm, installed once per thread the first time a World is
// made there. It keeps no world state of its own: each simulated fiber's
// properties name its World, and every ready simulated fiber is queued in
// that World (which picks FIFO or seeded-random, as configured).
//
// While a World runs, the context that called run() (the "driver") is only
// picked when the world has no ready fiber: that is the moment the world may
// advance virtual time. Boost's dispatcher context is picked when terminated
// fibers wait to be freed. Fibers that are not the world's (the thread's main
// context when not driving, a user's own fibers) are served FIFO.
//
// Exception state per fiber: the C++ runtime keeps the exceptions being
// handled and the count of exceptions in flight per thread, and Boost 1.74
// does not switch them with the fiber (Boost.Context does from 1.88). Without
// that, a fiber blocking inside a catch block or a destructor during unwinding
// corrupts another fiber's view: std::uncaught_exceptions() counts the other
// fiber's exception, and leaving a catch block frees the other's exception.
// pick_next(), the one place every switch goes through, swaps that state.
//
// A simulated fiber that suspends in Boost's sleep queue (this_fiber::sleep_for,
// a timed wait on a Boost mutex or condition variable) waits on the real
// clock: a determinism leak. pick_next() sees it and reports it to the World,
// which fails the run.
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/properties.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "locklab/sim/detail/fiber_table.hpp"

namespace locklab::sim {

class World;

struct SimFiberProps : boost::fibers::fiber_properties {
  using boost::fibers::fiber_properties::fiber_properties;
  World* world = nullptr;  // nullptr: not a simulated fiber (or finished)
  FiberHandle handle;
  // This context's share of the C++ runtime's per-thread exception state
  // (exceptions being handled, exceptions in flight), saved while it is
  // switched out. See WorldScheduler::pick_next.
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};

class WorldScheduler final
    : public boost::fibers::algo::algorithm_with_properties<SimFiberProps> {
 public:
  using context = boost::fibers::context;

  // The scheduler of the calling thread, installed on first use.
  static WorldScheduler& for_this_thread();

  void awakened(context* ctx, SimFiberProps& props) noexcept override;
  context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(std::chrono::steady_clock::time_point const& until) noexcept override;
  void notify() noexcept override;
  boost::fibers::fiber_properties* new_properties(context* ctx) override;

  // The next fiber constructed on this thread belongs to `world` as `handle`.
  void expect_spawn(World* world, FiberHandle handle);

  // The calling context drives `world` until end_drive().
  void begin_drive(World* world);
  void end_drive();
  World* driving() const { return driving_; }

  // Let Boost's dispatcher run once, to free the stacks of finished fibers.
  void request_release_of_terminated() { release_wanted_ = true; }

  // Whether a world fiber about to park, with no other fiber ready, may fire
  // the world's next events itself before it suspends (the same condition
  // under which pick_next would fire them on its way out).
  bool may_fire_inline() const noexcept { return driver_ready_ && !release_wanted_; }
  // The suspending fiber woke itself among others: the driver runs next and
  // takes the ready fibers in order, as when pick_next's inline firing woke
  // the fiber that was switching out.
  void hand_to_driver_next() noexcept { driver_next_ = true; }

 private:
  context* choose_next(context* active) noexcept;

  context* running_ = nullptr;   // what pick_next last handed the thread to (nullptr: ask Boost)
  void* eh_globals_ = nullptr;   // this thread's __cxa_eh_globals, once looked up
  std::deque<context*> others_;
  context* dispatcher_ = nullptr;  // Boost's dispatcher, when ready
  context* driver_ = nullptr;
  bool driver_ready_ = false;
  World* driving_ = nullptr;
  World* spawn_world_ = nullptr;
  FiberHandle spawn_handle_;
  bool release_wanted_ = false;
  bool driver_next_ = false;  // see hand_to_driver_next

  // Only for fibers outside any world, as Boost's round_robin does.
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
};

}  // namespace locklab::sim
