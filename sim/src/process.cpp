#include "locklab/sim/process.hpp"

#include <boost/fiber/operations.hpp>

#include "locklab/assert.hpp"
#include "locklab/lock/detail/saturate.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

std::string_view name_of(ProcessState state) {
  switch (state) {
    case ProcessState::running: return "running";
    case ProcessState::paused: return "paused";
    case ProcessState::killed: return "killed";
    case ProcessState::crashed: return "crashed";
    case ProcessState::exited: return "exited";
  }
  return "unknown";
}

Process::Process(World& world, ProcessId id, ProcessSpec spec, TrueTime created)
    : world_(world),
      id_(id),
      spec_(std::move(spec)),
      clock_(created, spec_.clock),
      rng_(world.fork_rng("process/" + spec_.name)) {}

LocalTime Process::now() const { return clock_.local_at(world_.true_now()); }

SimResult<void> Process::sleep_for(Duration d) {
  LOCKLAB_ASSERT(d.count() >= 0, "sleep_for a negative duration");
  // A scenario may state a hold of centuries on a clock centuries ahead:
  // past the end of time the sleep simply never ends.
  return sleep_until(lock::detail::add_saturating(now(), d));
}

SimResult<void> Process::sleep_for_monotonic(Duration d) {
  LOCKLAB_ASSERT(d.count() >= 0, "sleep_for_monotonic a negative duration");
  SimResult<void> r =
      world_.wait(*this, nullptr, lock::detail::add_saturating(now(), d), TimerClock::monotonic);
  if (!r && r.error() == SimError::timed_out) return {};
  return r;
}

SimResult<void> Process::sleep_until(LocalTime t) {
  SimResult<void> r = world_.wait(*this, nullptr, t);
  if (!r && r.error() == SimError::timed_out) return {};  // the sleep ran its course
  return r;
}

SimResult<void> Process::yield() {
  const FiberHandle h = world_.current_fiber(*this);
  if (auto admitted = world_.enter_blocking(world_.fibers_.at(h)); !admitted) return admitted;
  boost::this_fiber::yield();
  return world_.enter_blocking(world_.fibers_.at(h));
}

bool Process::spawn(std::string name, std::function<void()> body) {
  LOCKLAB_ASSERT(body != nullptr, "spawn without a body");
  if (!world_.admit(*this)) return false;
  world_.spawn_fiber(*this, std::move(name), std::move(body), false);
  return true;
}

std::uint64_t Process::current_fiber_id() const {
  // A live fiber's generation is never 0 (world_fibers.cpp asserts it).
  return world_.current_fiber(*this).pack();
}

void Process::note(std::string_view text) {
  // Quietly: a note is a non-blocking call, and those never throw (see
  // process.hpp); a killed process's note is dropped. admit() would throw
  // ProcessKilled from a killed fiber outside a NoThrowScope.
  if (!world_.admit_quietly(*this)) return;
  world_.record(id_, TraceKind::note, 0, 0, text);
}

SimResult<Socket> Process::connect(ProcessId target, LocalTime deadline) {
  return world_.network().connect(*this, target, deadline);
}

Listener Process::listen() {
  if (world_.admit(*this)) listening_ = true;
  return Listener(*this);
}

Process::NoThrowScope::NoThrowScope(Process& p)
    : world_(p.world_), fiber_(p.world_.current_fiber(p)) {
  ++world_.fibers_.at(fiber_).nothrow_depth;
}

Process::NoThrowScope::~NoThrowScope() { --world_.fibers_.at(fiber_).nothrow_depth; }

SimResult<void> Signal::wait(std::optional<LocalTime> deadline) {
  return owner_.world_.wait(owner_, &waiters_, deadline);
}

void Signal::notify_one() { owner_.world_.notify_one(waiters_); }

void Signal::notify_all() { owner_.world_.notify_all(waiters_); }

WaitQueue::~WaitQueue() {
  if (world_ != nullptr && !waiters_.empty()) world_->notify_all(*this);
}

}  // namespace locklab::sim
