#include "locklab/sim/detail/scheduler.hpp"

#include <boost/fiber/operations.hpp>
#include <boost/fiber/scheduler.hpp>
#include <boost/fiber/type.hpp>
#include <cxxabi.h>

#include "locklab/assert.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

namespace {

// libstdc++'s __cxa_eh_globals (libsupc++/unwind-cxx.h), which <cxxabi.h>
// declares but does not define: the head of the list of exceptions being
// handled, and the number of exceptions thrown but not yet caught.
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

EhGlobals& eh_globals(void* globals) { return *static_cast<EhGlobals*>(globals); }

SimFiberProps& props_of(boost::fibers::context* ctx) {
  auto* props = static_cast<SimFiberProps*>(ctx->get_properties());
  if (props == nullptr) {
    // The main context has properties only once it was first made ready.
    props = new SimFiberProps(ctx);
    ctx->set_properties(props);
  }
  return *props;
}

// Called on `from` just before the switch to `to`: park from's exception
// state in its properties and install to's.
void switch_exception_state(EhGlobals& globals, boost::fibers::context* from,
                            boost::fibers::context* to) {
  SimFiberProps& out = props_of(from);
  SimFiberProps& in = props_of(to);
  out.caught_exceptions = globals.caught_exceptions;
  out.uncaught_exceptions = globals.uncaught_exceptions;
  globals.caught_exceptions = in.caught_exceptions;
  globals.uncaught_exceptions = in.uncaught_exceptions;
}

// The thread's installed algorithm. Boost's scheduler owns (and frees) it;
// this is only how a World on this thread finds it again.
thread_local WorldScheduler* installed_scheduler = nullptr;
}  // namespace

WorldScheduler& WorldScheduler::for_this_thread() {
  if (installed_scheduler == nullptr) {
    auto* algo = new WorldScheduler();
    boost::fibers::context::active()->get_scheduler()->set_algo(
        boost::fibers::algo::algorithm::ptr_t(algo));
    installed_scheduler = algo;
  }
  return *installed_scheduler;
}

boost::fibers::fiber_properties* WorldScheduler::new_properties(context* ctx) {
  auto* props = new SimFiberProps(ctx);
  if (spawn_world_ != nullptr && !ctx->is_context(boost::fibers::type::main_context) &&
      !ctx->is_context(boost::fibers::type::dispatcher_context)) {
    props->world = spawn_world_;
    props->handle = spawn_handle_;
    spawn_world_ = nullptr;
  }
  return props;
}

void WorldScheduler::expect_spawn(World* world, FiberHandle handle) {
  spawn_world_ = world;
  spawn_handle_ = handle;
}

void WorldScheduler::awakened(context* ctx, SimFiberProps& props) noexcept {
  if (ctx == driver_) {
    driver_ready_ = true;
  } else if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
    dispatcher_ = ctx;
  } else if (props.world != nullptr) {
    props.world->push_ready(ctx, props.handle);
  } else {
    others_.push_back(ctx);
  }
}

// Every switch between contexts goes through here (Boost 1.74 switches only
// to what pick_next returns; fibers are launched with launch::post), so the
// context switching out is the one this returned last. When it returned
// nullptr Boost resumes its dispatcher unseen: then ask Boost. That saves a
// call into libboost_fiber and a thread-local lookup per switch, as does
// keeping the address of the thread's exception globals.
WorldScheduler::context* WorldScheduler::pick_next() noexcept {
  context* active = running_ != nullptr ? running_ : context::active();
#if !defined(NDEBUG)
  LOCKLAB_ASSERT(active == context::active(), "WorldScheduler lost track of the running context");
#endif
  context* next = choose_next(active);
  if (next != nullptr && next != active) {
    if (eh_globals_ == nullptr) eh_globals_ = abi::__cxa_get_globals();
    switch_exception_state(eh_globals(eh_globals_), active, next);
  }
  running_ = next;
  return next;
}

WorldScheduler::context* WorldScheduler::choose_next(context* active) noexcept {
  if (driving_ != nullptr) {
    // A simulated fiber that suspends into Boost's sleep queue waits on the
    // real clock: report it, the world fails the run.
    if (active != driver_ && active->sleep_is_linked()) {
      auto* props = static_cast<SimFiberProps*>(active->get_properties());
      if (props != nullptr && props->world == driving_) driving_->note_real_clock_wait(props->handle);
    }
    if (driver_next_) {
      driver_next_ = false;
      driving_->running_ = FiberHandle{0, 0};
      if (driver_ready_) {
        driver_ready_ = false;
        return driver_;
      }
    }
    if (driving_->has_ready() && !driving_->stop_requested_) return driving_->take_ready();
    driving_->running_ = FiberHandle{0, 0};  // whatever runs next is not a world fiber
    // The driver would be next: let the world fire its next event here
    // (World::fire_event_inline). Not when the dispatcher is wanted (it runs
    // before the driver), and never to resume the context that is switching
    // out (an event may wake the fiber now parking): the driver takes over.
    const auto* active_props = static_cast<const SimFiberProps*>(active->get_properties());
    if (driver_ready_ && !release_wanted_ && active_props != nullptr &&
        active_props->world == driving_) {
      while (driving_->fire_event_inline()) {
        if (!driving_->has_ready() || driving_->stop_requested_) continue;
        if (driving_->ready_contains(active)) break;
        return driving_->take_ready();
      }
    }
    if (release_wanted_ && dispatcher_ != nullptr) {
      release_wanted_ = false;
      return std::exchange(dispatcher_, nullptr);
    }
    if (driver_ready_) {
      driver_ready_ = false;
      return driver_;
    }
  }
  if (!others_.empty()) {
    context* next = others_.front();
    others_.pop_front();
    return next;
  }
  return std::exchange(dispatcher_, nullptr);
}

bool WorldScheduler::has_ready_fibers() const noexcept {
  return driver_ready_ || dispatcher_ != nullptr || !others_.empty() ||
         (driving_ != nullptr && driving_->has_ready());
}

void WorldScheduler::suspend_until(std::chrono::steady_clock::time_point const& until) noexcept {
  // Reached only when no fiber at all is ready, which cannot happen while a
  // world is driven (the driver is always running or ready). Outside a world
  // this thread idles as Boost's round_robin does, for fibers that are not
  // simulated.
  std::unique_lock lock(wake_mutex_);
  if (until == std::chrono::steady_clock::time_point::max()) {
    wake_.wait(lock, [this] { return woken_; });
  } else {
    wake_.wait_until(lock, until, [this] { return woken_; });
  }
  woken_ = false;
}

void WorldScheduler::notify() noexcept {
  std::lock_guard lock(wake_mutex_);
  woken_ = true;
  wake_.notify_all();
}

void WorldScheduler::begin_drive(World* world) {
  LOCKLAB_ASSERT(driving_ == nullptr, "a world is already running on this thread");
  context* active = context::active();
  auto* props = static_cast<SimFiberProps*>(active->get_properties());
  LOCKLAB_ASSERT(props == nullptr || props->world == nullptr,
                 "World::run called from inside a simulated process");
  driving_ = world;
  world->running_ = FiberHandle{0, 0};
  driver_ = active;
  driver_ready_ = false;
}

void WorldScheduler::end_drive() {
  if (driving_ != nullptr) driving_->running_ = FiberHandle{0, 0};
  driving_ = nullptr;
  driver_ = nullptr;
  driver_ready_ = false;
}

}  // namespace locklab::sim
