// The World's process life cycle and the application of fault records.
#include <fmt/format.h>

#include <stdexcept>

#include "locklab/sim/detail/overloaded.hpp"
#include "locklab/assert.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

namespace {

using detail::Overloaded;

}  // namespace

void World::start_process(Process& p) {
  LOCKLAB_ASSERT(p.fibers_.empty(), "process '", p.name(),
                 "' restarted while fibers of its last incarnation are still alive");
  p.state_ = ProcessState::running;
  ++p.incarnation_;
  p.rng_ = root_rng_.fork(fmt::format("process/{}/{}", p.name(), p.incarnation_));
  p.deferred_wakes_.clear();
  record(p.id(), p.incarnation_ == 1 ? TraceKind::process_start : TraceKind::process_restart,
         p.incarnation_);
  spawn_fiber(p, "main", [&p] { p.spec_.main(p); }, true);
}

void World::process_down(Process& p, ProcessState how) {
  const bool machine = how == ProcessState::crashed;
  const bool was_up = p.up();
  switch (how) {
    case ProcessState::killed: record(p.id(), TraceKind::process_kill); break;
    case ProcessState::crashed: record(p.id(), TraceKind::machine_crash); break;
    case ProcessState::exited: record(p.id(), TraceKind::process_exit, p.incarnation_); break;
    default: LOCKLAB_ASSERT(false, "process_down with a live state");
  }
  p.state_ = how;
  if (was_up) kill_fibers(p);
  network_->process_down(p, machine);
  if (machine) p.disk_.lose_unsynced();
}

std::string World::describe(const FaultAction& action) const {
  return sim::describe(action, [this](ProcessId id) {
    return valid(id) ? processes_[index_of(id)]->name() : fmt::format("p{}", index_of(id));
  });
}

void World::skip_fault(const FaultAction& action, std::string_view why, bool traced) {
  inapplicable_.push_back({.index = applying_, .at = now_, .what = describe(action), .why = std::string(why)});
  if (traced) {
    record(kNoProcess, TraceKind::note, 0, 0, fmt::format("fault skipped: {}: {}", inapplicable_.back().what, why));
  }
}

bool World::heals_a_cut(const LinkHeal& heal) const {
  for (ProcessId from : heal.from) {
    for (ProcessId to : heal.to) {
      if (from == to) continue;
      if (network_->blocked(from, to) || (!heal.one_way && network_->blocked(to, from))) return true;
    }
  }
  return false;
}

void World::schedule(Fault fault) {
  // Check now, at the boundary, so a bad schedule fails before anything runs.
  auto check = [this](ProcessId id) {
    if (!valid(id)) {
      throw std::invalid_argument(fmt::format("fault names process {}, but the world has {} "
                                              "processes",
                                              index_of(id), processes_.size()));
    }
  };
  if (const std::string problem = problem_of(fault.action); !problem.empty()) {
    throw std::invalid_argument(fmt::format("fault '{}': {}", describe(fault.action), problem));
  }
  std::visit(Overloaded{
                 [&](const LinkPartition& f) {
                   for (ProcessId id : f.from) check(id);
                   for (ProcessId id : f.to) check(id);
                 },
                 [&](const LinkHeal& f) {
                   for (ProcessId id : f.from) check(id);
                   for (ProcessId id : f.to) check(id);
                 },
                 [&](const MessageDelay& f) {
                   check(f.from);
                   check(f.to);
                 },
                 [&](const ConnectionReset& f) {
                   check(f.a);
                   check(f.b);
                 },
                 [&](const auto& f) { check(f.process); },
             },
             fault.action);
  if (fault.at < now_) throw std::invalid_argument("fault scheduled in the past");
  faults_.push_back(std::move(fault.action));
  events_.push(fault.at, EventKind::fault, faults_.size() - 1);
}

void World::schedule(const FaultSchedule& faults) {
  for (const Fault& f : faults) schedule(f);
}

void World::apply(const FaultAction& action) {
  std::visit(
      Overloaded{
          [&](const ProcessPause& f) { apply_pause(f.process); },
          [&](const ProcessResume& f) { apply_resume(f.process); },
          [&](const ProcessKill& f) {
            Process& p = process(f.process);
            if (!p.up()) return skip_fault(action, "process is not up");
            process_down(p, ProcessState::killed);
          },
          [&](const MachineCrash& f) {
            Process& p = process(f.process);
            if (p.state() == ProcessState::crashed) {
              return skip_fault(action, "machine is already down");
            }
            process_down(p, ProcessState::crashed);
          },
          [&](const ProcessRestart& f) { apply_restart(f.process); },
          [&](const LinkPartition& f) {
            for (ProcessId from : f.from) {
              for (ProcessId to : f.to) {
                if (from == to) continue;
                record(from, TraceKind::link_partition, index_of(to),
                       static_cast<std::uint64_t>(f.mode));
                network_->partition(from, to, f.mode);
                if (!f.one_way) network_->partition(to, from, f.mode);
              }
            }
          },
          [&](const LinkHeal& f) {
            // Healing links that are not cut changes nothing; it is still
            // traced as a heal, so that recording it leaves trace hashes be.
            if (!heals_a_cut(f)) skip_fault(action, "no link it names is cut", false);
            for (ProcessId from : f.from) {
              for (ProcessId to : f.to) {
                if (from == to) continue;
                record(from, TraceKind::link_heal, index_of(to));
                network_->heal(from, to);
                if (!f.one_way) network_->heal(to, from);
              }
            }
          },
          [&](const MessageDelay& f) {
            record(f.from, TraceKind::message_delay, index_of(f.to),
                   static_cast<std::uint64_t>(f.extra.count()));
            network_->delay(f.from, f.to, f.extra, f.count);
          },
          [&](const ClockJump& f) { apply_clock(f.process, action); },
          [&](const ClockDriftSet& f) { apply_clock(f.process, action); },
          [&](const ConnectionReset& f) {
            record(f.a, TraceKind::connection_reset_fault, index_of(f.b));
            network_->reset_between(f.a, f.b);
          },
      },
      action);
}

void World::apply_pause(ProcessId id) {
  Process& p = process(id);
  if (p.state() != ProcessState::running) {
    return skip_fault(ProcessPause{id}, fmt::format("process is {}", name_of(p.state())));
  }
  p.state_ = ProcessState::paused;
  record(id, TraceKind::process_pause);
}

void World::apply_resume(ProcessId id) {
  Process& p = process(id);
  if (p.state() != ProcessState::paused) {
    return skip_fault(ProcessResume{id}, fmt::format("process is {}", name_of(p.state())));
  }
  p.state_ = ProcessState::running;
  record(id, TraceKind::process_resume);
  // Everything that happened to it while stopped is now seen, in order.
  auto wakes = std::move(p.deferred_wakes_);
  p.deferred_wakes_.clear();
  for (const auto& [handle, reason] : wakes) {
    FiberRecord* f = fibers_.find(handle);
    if (f != nullptr && f->state == FiberState::parked && f->wake_deferred) make_ready(*f, reason);
  }
}

void World::apply_restart(ProcessId id) {
  Process& p = process(id);
  if (p.up()) return skip_fault(ProcessRestart{id}, "process is up");
  start_process(p);
}

void World::apply_clock(ProcessId id, const FaultAction& action) {
  Process& p = process(id);
  if (const auto* jump = std::get_if<ClockJump>(&action)) {
    p.clock_.jump(now_, jump->delta);
    record(id, TraceKind::clock_jump, static_cast<std::uint64_t>(jump->delta.count()));
    // A monotonic timer is unmoved by the step: its deadline, a reading of
    // the stepped clock, moves with the clock, so it falls due at the same
    // true time as before.
    for (FiberHandle h : p.fibers_) {
      FiberRecord& f = fibers_.at(h);
      if (f.state == FiberState::parked && f.deadline && f.timer_clock == TimerClock::monotonic) {
        *f.deadline = *f.deadline + jump->delta;
      }
    }
  } else if (const auto* drift = std::get_if<ClockDriftSet>(&action)) {
    p.clock_.set_drift(now_, drift->drift_ppm);
    record(id, TraceKind::clock_drift, static_cast<std::uint64_t>(drift->drift_ppm));
  }
  // Sleeps are on the process's own clock: they now end at other true times.
  reschedule_timers(p);
}

}  // namespace locklab::sim
