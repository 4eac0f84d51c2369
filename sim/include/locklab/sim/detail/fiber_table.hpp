// locklab/sim/detail/fiber_table.hpp — the world's bookkeeping for fibers.
//
// Internal to the simulator. A FiberRecord holds what the world knows of one
// fiber: its process, its state, why it was last woken, its pending deadline.
// Records are owned one by one (stable addresses while a fiber runs) and are named
// by a FiberHandle (slot index plus generation), so a stale timer or waiter
// for a finished fiber is recognised and ignored, never dereferenced.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "locklab/sim/event_queue.hpp"
#include "locklab/sim/ids.hpp"
#include "locklab/sim/time.hpp"

namespace boost::fibers {
class context;
}

namespace locklab::sim {

class WaitQueue;

struct FiberHandle {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;

  std::uint64_t pack() const { return (std::uint64_t{generation} << 32) | index; }
  static FiberHandle unpack(std::uint64_t bits) {
    return {static_cast<std::uint32_t>(bits), static_cast<std::uint32_t>(bits >> 32)};
  }
  friend bool operator==(FiberHandle, FiberHandle) = default;
};

enum class WakeReason : std::uint8_t { none, notified, timed_out, killed };

enum class FiberState : std::uint8_t { ready, running, parked, done };

// Which clock a parked fiber's deadline is on. Both run at the process
// clock's rate (drift included); a clock jump moves a `wall` deadline's true
// time (the wait ends when the stepped reading gets there) and leaves a
// `monotonic` one's where it was, as a timer on CLOCK_MONOTONIC is unmoved
// by a step of the wall clock.
enum class TimerClock : std::uint8_t { wall, monotonic };

struct FiberRecord {
  std::uint32_t generation = 1;
  bool in_use = false;
  std::uint64_t id = 0;  // world-wide, in spawn order; used in the trace
  ProcessId process = kNoProcess;
  bool is_main = false;
  std::string name;
  std::function<void()> body;
  boost::fibers::context* ctx = nullptr;
  const char* stack_top = nullptr;  // an address in the fiber's first frame
  FiberState state = FiberState::ready;
  WakeReason wake_reason = WakeReason::none;
  bool wake_deferred = false;                // woken while its process is paused
  std::optional<LocalTime> deadline;         // while parked with a deadline
  TimerClock timer_clock = TimerClock::wall;  // what a clock jump does to `deadline`
  std::uint64_t timer_generation = 0;        // timers with another value are stale
  EventId timer_event;                       // its timer while queued (dead once woken), to move
  WaitQueue* waiting_on = nullptr;           // while parked on a queue
  bool killed = false;
  int nothrow_depth = 0;                     // > 0: report kills as values, never throw
  std::uint32_t kill_throws = 0;
};

class FiberTable {
 public:
  FiberHandle allocate();
  void release(FiberHandle h);
  // Inline: several lookups per wait and wake (they showed in the profile).
  FiberRecord* find(FiberHandle h) {  // nullptr if stale
    if (h.index >= slots_.size()) return nullptr;
    FiberRecord& r = *slots_[h.index];
    return r.in_use && r.generation == h.generation ? &r : nullptr;
  }
  FiberRecord& at(FiberHandle h) {  // asserts it is live
    FiberRecord* r = find(h);
    if (r == nullptr) [[unlikely]] stale(h);
    return *r;
  }
  std::size_t live() const { return live_; }

  // Visits live records in slot order (deterministic).
  template <typename F>
  void for_each_live(F&& f) {
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i]->in_use) f(FiberHandle{i, slots_[i]->generation}, *slots_[i]);
    }
  }

 private:
  [[noreturn]] static void stale(FiberHandle h);
  // Owned one by one: stable addresses while a fiber runs, and indexing
  // is one load (a deque's index arithmetic showed in the profile).
  std::vector<std::unique_ptr<FiberRecord>> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace locklab::sim
