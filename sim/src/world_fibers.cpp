// The World's fibers: spawning, parking and waking, timers on local clocks,
// and unwinding on kill and at teardown.
#include <fmt/format.h>

#include <algorithm>
#include <boost/fiber/context.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/scheduler.hpp>
#include <exception>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "asan_stack.hpp"
#include "locklab/assert.hpp"
#include "locklab/sim/detail/scheduler.hpp"
#include "locklab/sim/detail/stack_pool.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

namespace {

// A fiber that swallows this many kills is stuck in a catch (...) loop.
constexpr std::uint32_t kMaxSwallowedKills = 100;

SimFiberProps* props_of(boost::fibers::context* ctx) {
  return static_cast<SimFiberProps*>(ctx->get_properties());
}

// AddressSanitizer does not know the bounds of a fiber's stack (Debian's
// Boost.Context is built without its fiber annotations). On a thread's own
// stack, ASan clears the redzones of the frames an exception is about to
// unwind; on a fiber it gives up ("ignoring requested __asan_handle_no_return")
// and stale redzones then raise false stack-buffer-overflow reports. The
// simulator therefore clears them itself, on the fiber's stack only:
//   - when a fiber starts (its stack may be reused, shadow and all);
//   - just before it throws ProcessKilled (the frames to be unwound);
//   - right after fiber_main catches (what lies below the handler).
// `top` is an address in fiber_main's frame; `size` the stack's size.
#if defined(__SANITIZE_ADDRESS__)
__attribute__((noinline, no_sanitize_address)) void asan_clear_fiber_stack(const char* top,
                                                                          std::size_t size,
                                                                          bool whole_to_top) {
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  const char* lowest = top - size + 4096;  // a page of margin stays inside the stack
  const char* low = whole_to_top ? std::max(lowest, here - 4096) : lowest;
  const char* high = whole_to_top ? top : here;
  if (high > low) __asan_unpoison_memory_region(low, static_cast<std::size_t>(high - low));
}
#else
void asan_clear_fiber_stack(const char*, std::size_t, bool) {}
#endif

void erase_handle(std::vector<FiberHandle>& handles, FiberHandle h) {
  auto it = std::find(handles.begin(), handles.end(), h);
  if (it != handles.end()) handles.erase(it);
}

}  // namespace

void World::spawn_fiber(Process& process, std::string name, std::function<void()> body,
                        bool is_main) {
  const FiberHandle h = fibers_.allocate();
  FiberRecord& f = fibers_.at(h);
  f.id = next_fiber_id_++;
  f.process = process.id();
  f.is_main = is_main;
  f.name = std::move(name);
  f.body = std::move(body);
  f.state = FiberState::ready;
  process.fibers_.push_back(h);
  record(process.id(), TraceKind::fiber_start, f.id);
  // Boost marks the new fiber ready inside its constructor, which is when the
  // scheduler creates its properties: tell it whose fiber this is first.
  scheduler_.expect_spawn(this, h);
  stacks_->launch([this, h] { fiber_main(h); });
}

void World::fiber_main(FiberHandle h) {
  FiberEnd end = FiberEnd::returned;
  const char stack_top = 0;
  const std::size_t stack_size = stacks_->size;
  fibers_.at(h).stack_top = &stack_top;
  detail::note_running_stack(&stack_top, stack_size);
  asan_clear_fiber_stack(&stack_top, stack_size, false);
  {
    std::function<void()> body = std::move(fibers_.at(h).body);
    try {
      if (fibers_.at(h).killed) throw ProcessKilled{fibers_.at(h).process};
      body();
    } catch (const ProcessKilled&) {
      asan_clear_fiber_stack(&stack_top, stack_size, false);
      end = FiberEnd::killed;
    } catch (const std::exception& e) {
      asan_clear_fiber_stack(&stack_top, stack_size, false);
      end = FiberEnd::threw;
      const FiberRecord& f = fibers_.at(h);
      if (!failure_) {
        failure_ = fmt::format("process '{}' fiber '{}' threw: {}", process(f.process).name(),
                               f.name, e.what());
      }
    } catch (...) {
      asan_clear_fiber_stack(&stack_top, stack_size, false);
      end = FiberEnd::threw;
      const FiberRecord& f = fibers_.at(h);
      if (!failure_) {
        failure_ = fmt::format("process '{}' fiber '{}' threw an unknown exception",
                               process(f.process).name(), f.name);
      }
    }
  }  // the body (and what it captured) is destroyed here, still on this fiber

  FiberRecord& f = fibers_.at(h);
  Process& p = process(f.process);
  const bool main_returned = f.is_main && end == FiberEnd::returned && !f.killed && p.up();
  if (end == FiberEnd::threw) record(p.id(), TraceKind::failure, f.id, 0, *failure_);
  record(p.id(), TraceKind::fiber_exit, f.id, static_cast<std::uint64_t>(end));
  erase_handle(p.fibers_, h);
  props_of(boost::fibers::context::active())->world = nullptr;
  running_ = FiberHandle{0, 0};  // from here on this fiber is no longer the world's
  fibers_.release(h);
  scheduler_.request_release_of_terminated();
  // A process whose main function returns has exited: its other fibers are
  // unwound and its connections closed, as when a real process exits.
  if (main_returned) process_down(p, ProcessState::exited);
}

FiberHandle World::current_fiber(const Process& process) const {
  LOCKLAB_ASSERT(running_.generation != 0,
                 "a blocking simulator call was made outside a simulated process's fibers "
                 "(process '", process.name(), "')");
  LOCKLAB_ASSERT(const_cast<FiberTable&>(fibers_).at(running_).process == process.id(),
                 "process '", process.name(), "' was called from another process's fiber");
  return running_;
}

void World::push_ready(boost::fibers::context* ctx, FiberHandle handle) {
  FiberRecord& f = fibers_.at(handle);
  f.ctx = ctx;
  f.state = FiberState::ready;
  ready_.push_back(ReadyFiber{ctx, handle});
}

boost::fibers::context* World::take_ready() {
  ++work_;
  // The budget stops a run, never its teardown: a world torn down after its
  // budget ran out must still let every fiber unwind.
  if (work_ >= config_.limits.max_events && !tearing_down_) stop_requested_ = true;
  if (config_.order == ReadyOrder::random && ready_.size() > 1) {
    std::swap(ready_[ready_rng_.below(ready_.size())], ready_.front());
  }
  const ReadyFiber next = ready_.front();
  ready_.pop_front();
  FiberRecord& f = fibers_.at(next.handle);
  f.state = FiberState::running;
  running_ = next.handle;
  detail::note_running_stack(f.stack_top, stacks_->size);  // unset until its first run
  return next.ctx;
}

void World::note_real_clock_wait(FiberHandle handle) {
  if (!real_clock_wait_) real_clock_wait_ = handle;
  stop_requested_ = true;
}

SimResult<void> World::enter_blocking(FiberRecord& fiber) {
  if (!fiber.killed) return {};
  // Throw only where an exception can propagate: not while this thread is
  // already unwinding (a destructor), not inside a NoThrowScope.
  if (fiber.nothrow_depth == 0 && std::uncaught_exceptions() == 0) {
    ++fiber.kill_throws;
    LOCKLAB_ASSERT(fiber.kill_throws <= kMaxSwallowedKills, "fiber '", fiber.name,
                   "' keeps swallowing ProcessKilled: a catch (...) must rethrow");
    asan_clear_fiber_stack(fiber.stack_top, stacks_->size, true);
    throw ProcessKilled{fiber.process};
  }
  return std::unexpected(SimError::killed);
}

bool World::admit(Process& process) {
  if (running_.generation == 0) return process.up();  // driver or test code
  FiberRecord& f = fibers_.at(running_);
  if (!f.killed) return true;
  return enter_blocking(f).has_value();
}

bool World::admit_quietly(Process& process) noexcept {
  if (running_.generation == 0) return process.up();
  return process.up() && !fibers_.at(running_).killed;
}

SimResult<void> World::wait(Process& process, WaitQueue* queue,
                            std::optional<LocalTime> deadline, TimerClock timer_clock) {
  const FiberHandle h = current_fiber(process);
  FiberRecord& f = fibers_.at(h);  // stable: records are owned one by one
  if (auto admitted = enter_blocking(f); !admitted) return admitted;
  if (queue != nullptr) {
    queue->world_ = this;
    queue->waiters_.push_back(h);
    f.waiting_on = queue;
  }
  f.state = FiberState::parked;
  f.wake_reason = WakeReason::none;
  f.deadline = deadline;
  f.timer_clock = timer_clock;
  if (deadline) arm_timer(h, f, process);
  if (!fire_due_before_parking(f)) {
    f.ctx->suspend();  // f.ctx is this fiber's context (set when it was made ready)
  }
  // Whoever woke us set the reason and took us off the queue.
  f.deadline.reset();
  if (f.killed) return enter_blocking(f);
  switch (f.wake_reason) {
    case WakeReason::timed_out: return std::unexpected(SimError::timed_out);
    case WakeReason::notified: return {};
    case WakeReason::killed:
    case WakeReason::none: break;
  }
  LOCKLAB_ASSERT(false, "fiber '", f.name, "' resumed without a wake reason");
  return {};
}

// The scheduler's inline firing (World::fire_event_inline), done before the
// switch instead of on the way out. When this fiber parks with no other fiber
// ready, pick_next would fire the world's next events right away; if one of
// them wakes this very fiber (the next reply of a pipelined fan-out, due at
// the same instant), it switches to the driver only for the driver to switch
// straight back. Firing them here, before suspending, runs the same events
// in the same order with the same checks (running_ cleared, as choose_next
// clears it), and when this fiber is then the only one ready it takes itself
// off the ready queue (take_ready: the same work count and order) and goes
// on without a switch. When others were woken too, the suspend goes to
// whoever pick_next would have picked: the first ready fiber, or the driver
// when this fiber is among them. Returns whether the fiber was resumed here.
bool World::fire_due_before_parking(FiberRecord& f) {
  if (!fire_inline_ || !ready_.empty() || !scheduler_.may_fire_inline()) return false;
  const FiberHandle self = running_;
  running_ = FiberHandle{0, 0};
  while (fire_event_inline()) {
    if (ready_.empty() || stop_requested_) continue;
    if (f.state != FiberState::ready) break;  // others woke: pick_next takes the first
    if (ready_.size() == 1 && scheduler_.may_fire_inline()) {
      take_ready();  // this fiber: running again, running_ is ours
      return true;
    }
    scheduler_.hand_to_driver_next();
    break;
  }
  running_ = self;
  return false;
}

void World::arm_timer(FiberHandle handle, FiberRecord& fiber, const Process& process) {
  ++fiber.timer_generation;
  // The fiber's previous timer, if still queued (dead since it was woken, or
  // re-armed after a clock jump), moves to the new time instead of being
  // removed and pushed again.
  const TrueTime when = process.clock_.true_time_reaching(*fiber.deadline, now_);
  fiber.timer_event = events_.reschedule(fiber.timer_event, when, EventKind::fiber_timer,
                                         handle.pack(), fiber.timer_generation);
}

void World::reschedule_timers(Process& process) {
  for (FiberHandle h : process.fibers_) {
    FiberRecord& f = fibers_.at(h);
    if (f.state == FiberState::parked && f.deadline && !f.wake_deferred) arm_timer(h, f, process);
  }
}

void World::fire_timer(FiberHandle handle, std::uint64_t generation) {
  FiberRecord* f = fibers_.find(handle);
  if (f == nullptr || f->state != FiberState::parked || f->timer_generation != generation) return;
  f->timer_event = EventId{};  // popped: nothing left to cancel
  record(f->process, TraceKind::timer, f->id);
  unpark(handle, WakeReason::timed_out);
}

void World::unpark(FiberHandle handle, WakeReason reason) {
  FiberRecord* f = fibers_.find(handle);
  if (f == nullptr || f->state != FiberState::parked) return;
  Process& p = process(f->process);
  if (p.state() == ProcessState::paused && reason != WakeReason::killed) {
    // Stop-the-world: the wake-up waits for resume, in the order it came.
    if (!f->wake_deferred) {
      f->wake_deferred = true;
      p.deferred_wakes_.emplace_back(handle, reason);
    }
    return;
  }
  make_ready(*f, reason);
}

void World::make_ready(FiberRecord& fiber, WakeReason reason) {
  fiber.state = FiberState::ready;
  fiber.wake_reason = reason;
  fiber.wake_deferred = false;
  // Leaving the parked state makes its timer dead (pop_live_event drops it
  // unseen). It stays queued: the fiber's next wait with a deadline moves it
  // to its new time (cheaper than removing it now and pushing a new one).
  if (fiber.waiting_on != nullptr) {
    // Find our own handle among the queue's waiters by the context we own.
    auto& waiters = fiber.waiting_on->waiters_;
    waiters.erase(std::remove_if(waiters.begin(), waiters.end(),
                                 [&](FiberHandle h) { return fibers_.find(h) == &fiber; }),
                  waiters.end());
    fiber.waiting_on = nullptr;
  }
  // As context::active()->schedule(ctx) does on one thread, without the
  // thread-local lookup.
  fiber.ctx->get_scheduler()->schedule(fiber.ctx);
}

void World::notify_one(WaitQueue& queue) {
  while (!queue.waiters_.empty()) {
    const FiberHandle h = queue.waiters_.front();
    queue.waiters_.erase(queue.waiters_.begin());
    FiberRecord* f = fibers_.find(h);
    if (f == nullptr || f->state != FiberState::parked || f->waiting_on != &queue) continue;
    f->waiting_on = nullptr;
    unpark(h, WakeReason::notified);
    return;
  }
}

void World::notify_all(WaitQueue& queue) {
  std::vector<FiberHandle> waiters = std::move(queue.waiters_);
  queue.waiters_.clear();
  for (FiberHandle h : waiters) {
    FiberRecord* f = fibers_.find(h);
    if (f == nullptr || f->state != FiberState::parked || f->waiting_on != &queue) continue;
    f->waiting_on = nullptr;
    unpark(h, WakeReason::notified);
  }
  // Hand the buffer back (waking runs no fiber, so nobody queued meanwhile):
  // otherwise every wait after a notify_all allocated a new one.
  if (queue.waiters_.capacity() == 0) {
    waiters.clear();
    queue.waiters_ = std::move(waiters);
  }
}

void World::kill_fibers(Process& process) {
  process.deferred_wakes_.clear();
  for (FiberHandle h : process.fibers_) {
    FiberRecord& f = fibers_.at(h);
    f.killed = true;
    f.wake_deferred = false;
    if (f.state == FiberState::parked) make_ready(f, WakeReason::killed);
  }
}

void World::unwind_all_for_teardown() {
  scheduler_.begin_drive(this);
  tearing_down_ = true;
  stop_requested_ = false;
  for (auto& p : processes_) kill_fibers(*p);
  // Unwind until no fiber is left or no progress is made. A fiber caught in
  // Boost's sleep queue (a determinism leak) is woken directly; it unwinds at
  // its next call into the world.
  for (std::size_t previous = fibers_.live() + 1; fibers_.live() > 0 && fibers_.live() < previous;) {
    previous = fibers_.live();
    while (!ready_.empty()) boost::this_fiber::yield();
    fibers_.for_each_live([](FiberHandle, FiberRecord& f) {
      if (f.state == FiberState::running && f.ctx != nullptr && f.ctx->sleep_is_linked()) {
        boost::fibers::context::active()->schedule(f.ctx);
      }
    });
    while (!ready_.empty()) boost::this_fiber::yield();
  }
  std::string stuck;
  fibers_.for_each_live([&](FiberHandle, FiberRecord& f) {
    stuck += fmt::format(" '{}' of process '{}';", f.name, process(f.process).name());
  });
  LOCKLAB_ASSERT(stuck.empty(),
                 "World destroyed with fibers blocked outside the simulator's waits (a Boost "
                 "mutex, condition variable or join nobody will signal):", stuck);
  // Let Boost's dispatcher free the finished fibers' stacks now.
  scheduler_.request_release_of_terminated();
  boost::this_fiber::yield();
  scheduler_.end_drive();
}

}  // namespace locklab::sim
