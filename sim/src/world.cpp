// The World's construction, run loop and event dispatch. Fibers are in
// world_fibers.cpp, faults and process life cycle in world_faults.cpp.
#include "locklab/sim/world.hpp"

#include <fmt/format.h>

#include <boost/fiber/operations.hpp>
#include <stdexcept>

#include "locklab/assert.hpp"
#include "locklab/sim/detail/scheduler.hpp"
#include "locklab/sim/detail/stack_pool.hpp"

namespace locklab::sim {

std::string_view name_of(RunStatus status) {
  switch (status) {
    case RunStatus::idle: return "idle";
    case RunStatus::reached_time: return "reached_time";
    case RunStatus::budget_exhausted: return "budget_exhausted";
    case RunStatus::failed: return "failed";
  }
  return "unknown";
}

World::World(WorldConfig config)
    : config_(std::move(config)),
      root_rng_(config_.seed),
      ready_rng_(root_rng_.fork("scheduler")),
      trace_(config_.trace),
      owner_thread_(std::this_thread::get_id()),
      scheduler_(WorldScheduler::for_this_thread()) {
  if (std::string why = validate(config_.latency); !why.empty()) {
    throw std::invalid_argument("world config: latency: " + why);
  }
  if (config_.limits.max_events == 0) throw std::invalid_argument("world config: max_events is 0");
  if (config_.limits.max_time.count() <= 0) {
    throw std::invalid_argument("world config: max_time must be positive");
  }
  stacks_ = std::make_unique<StackPool>(config_.stacks.value_or(StackPool::default_kind()),
                                        config_.stack_size != 0 ? config_.stack_size
                                                                : StackPool::default_size());
  network_ = std::make_unique<Network>(*this, config_.latency);
}

World::~World() { unwind_all_for_teardown(); }

ProcessId World::add_process(ProcessSpec spec) {
  if (spec.name.empty()) throw std::invalid_argument("process spec: name is empty");
  if (!spec.main) throw std::invalid_argument("process '" + spec.name + "': no main function");
  if (find_process(spec.name)) {
    throw std::invalid_argument("process '" + spec.name + "': name already used");
  }
  if (spec.clock.drift_ppm <= -kPpmScale || spec.clock.drift_ppm > 10 * kPpmScale) {
    throw std::invalid_argument(fmt::format("process '{}': clock drift {} ppm is out of range "
                                            "(-1000000, 10000000]",
                                            spec.name, spec.clock.drift_ppm));
  }
  const ProcessId id{static_cast<std::uint32_t>(processes_.size())};
  process_ids_.emplace(spec.name, id);
  const bool start = spec.start;
  processes_.push_back(std::unique_ptr<Process>(new Process(*this, id, std::move(spec), now_)));
  Process& p = *processes_.back();
  trace_.name_process(id, p.name());
  if (start) start_process(p);
  return id;
}

Process& World::process(ProcessId id) {
  LOCKLAB_ASSERT(valid(id), "no process ", index_of(id));
  return *processes_[index_of(id)];
}

std::optional<ProcessId> World::find_process(std::string_view name) const {
  const auto found = process_ids_.find(name);
  if (found == process_ids_.end()) return std::nullopt;
  return found->second;
}

TrueTime World::true_time_reaching(ProcessId id, LocalTime target, TrueTime from) const {
  LOCKLAB_ASSERT(valid(id), "no process ", index_of(id));
  return processes_[index_of(id)]->clock_.true_time_reaching(target, from);
}

void World::at(TrueTime when, std::function<void()> callback) {
  LOCKLAB_ASSERT(when >= now_, "callback scheduled in the past");
  callbacks_.push_back(std::move(callback));
  events_.push(when, EventKind::callback, callbacks_.size() - 1);
}

void World::record(ProcessId process, TraceKind kind, std::uint64_t a, std::uint64_t b,
                   std::string_view text) {
  const LocalTime local =
      valid(process) ? processes_[index_of(process)]->clock_.local_at(now_) : LocalTime{};
  trace_.record(now_, process, local, kind, a, b, text);
}

void World::record(ProcessId process, TraceKind kind, std::uint64_t a, std::uint64_t b,
                   std::string_view text, std::uint64_t text_digest) {
  const LocalTime local =
      valid(process) ? processes_[index_of(process)]->clock_.local_at(now_) : LocalTime{};
  trace_.record(now_, process, local, kind, a, b, text, text_digest);
}

RunResult World::run() { return drive(TrueTime::max(), false); }

RunResult World::run_until(TrueTime until) {
  LOCKLAB_ASSERT(until >= now_, "run_until a time in the past");
  return drive(until, false);
}

RunResult World::step() { return drive(TrueTime::max(), true); }

RunResult World::stop(RunStatus status, std::string detail) {
  return RunResult{status, now_, work_, std::move(detail)};
}

RunResult World::drive(TrueTime until, bool single_step) {
  LOCKLAB_ASSERT(std::this_thread::get_id() == owner_thread_,
                 "a World must be run on the thread that created it");
  scheduler_.begin_drive(this);
  struct EndDrive {
    WorldScheduler& scheduler;
    bool& fire_inline;
    ~EndDrive() {
      fire_inline = false;
      scheduler.end_drive();
    }
  } end_drive{scheduler_, fire_inline_};
  stop_requested_ = false;
  // Events fired inline run on the parking fiber's stack: not when every
  // record is also written as JSON or kept (deeper, and allocating), which
  // the driver's own stack is better placed to do.
  fire_inline_ = !single_step && config_.trace.jsonl == nullptr && !config_.trace.keep_records;
  drive_until_ = until;

  const TrueTime time_limit = TrueTime{config_.limits.max_time};
  for (bool stepped = false;;) {
    drain_ready();
    if (real_clock_wait_ && !failure_) {
      const FiberRecord* f = fibers_.find(*real_clock_wait_);
      failure_ = fmt::format(
          "determinism leak: fiber '{}' of process '{}' waited on the real clock "
          "(a Boost sleep or timed wait); use Process::sleep_for or a "
          "wait with a LocalTime deadline",
          f != nullptr ? f->name : "?", f != nullptr ? process(f->process).name() : "?");
      record(kNoProcess, TraceKind::failure, 0, 0, *failure_);
    }
    if (failure_) return stop(RunStatus::failed, *failure_);
    if (work_ >= config_.limits.max_events) {
      return stop(RunStatus::budget_exhausted,
                  fmt::format("event budget exhausted: {} events processed by true time {}",
                              work_, format_duration(now_.time_since_epoch())));
    }
    if (single_step && stepped) return stop(RunStatus::reached_time);
    Event next;
    if (!pop_live_event(next)) {
      if (until != TrueTime::max()) now_ = std::max(now_, until);
      return stop(RunStatus::idle);
    }
    if (next.at > until) {
      now_ = until;
      return stop(RunStatus::reached_time);
    }
    if (next.at > time_limit) {
      now_ = time_limit;
      return stop(RunStatus::budget_exhausted,
                  fmt::format("virtual time limit of {} reached with events still pending",
                              format_duration(config_.limits.max_time)));
    }
    Event e = events_.pop();
    now_ = e.at;
    ++work_;
    dispatch(e);
    stepped = true;
  }
}

// The driver's round trip, short-cut. When the last ready fiber parks, the
// scheduler asks the world to fire the next event right there, on the
// parking fiber's way out, and hands the thread straight to the fiber it
// woke, instead of switching to the driver only for the driver to fire it
// and switch back. This makes exactly the checks drive() makes before firing
// an event, in the same order (stop request, real-clock leak, failure, event
// budget, the run's `until`, the virtual-time limit), and fires only message
// deliveries and fiber timers: they run no user code and kill nothing. So
// the run is the same, event for event; faults and callbacks wait for the
// driver.
bool World::fire_event_inline() {
  if (!fire_inline_ || stop_requested_ || real_clock_wait_ || failure_ ||
      work_ >= config_.limits.max_events) {
    return false;
  }
  Event next;
  if (!pop_live_event(next)) return false;
  if (next.kind != EventKind::pipe_deliver && next.kind != EventKind::fiber_timer) return false;
  if (next.at > drive_until_ || next.at > TrueTime{config_.limits.max_time}) return false;
  const Event e = events_.pop();
  now_ = e.at;
  ++work_;
  dispatch(e);
  return true;
}

void World::drain_ready() {
  // Yielding hands the thread to the world's ready fibers; the scheduler
  // gives it back only when none is ready (or the budget ran out).
  while (!ready_.empty() && !stop_requested_) boost::this_fiber::yield();
}

// Leaves the earliest event that still means something at the top of the
// queue, dropping timers of fibers that were woken otherwise, and reports
// whether there is one.
bool World::pop_live_event(Event& out) {
  while (!events_.empty()) {
    const Event top = events_.top();
    if (top.kind == EventKind::fiber_timer) {
      const FiberRecord* f = fibers_.find(FiberHandle::unpack(top.a));
      if (f == nullptr || f->state != FiberState::parked || !f->deadline ||
          f->timer_generation != top.b) {
        events_.pop();
        continue;
      }
    }
    out = top;
    return true;
  }
  return false;
}

void World::dispatch(const Event& e) {
  switch (e.kind) {
    case EventKind::fiber_timer: fire_timer(FiberHandle::unpack(e.a), e.b); break;
    case EventKind::pipe_deliver: network_->deliver_due(e.a, e.b); break;
    case EventKind::fault:
      applying_ = e.a;
      apply(faults_[e.a]);
      applying_.reset();
      break;
    case EventKind::callback: {
      auto callback = std::move(callbacks_[e.a]);
      callbacks_[e.a] = nullptr;
      callback();
      break;
    }
  }
}

}  // namespace locklab::sim
