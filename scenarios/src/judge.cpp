#include "judge.hpp"
#include "locklab/lock/detail/saturate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "locklab/properties/liveness.hpp"
#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"
#include "locklab/properties/token_hygiene.hpp"
#include "locklab/scenarios/client_crashes.hpp"
#include "locklab/scenarios/envelope.hpp"
#include "locklab/sim/detail/overloaded.hpp"
#include "tolerated_faults.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;

// The longest a client may go between an acquire that returned without the
// lock and its next acquire: the shorthand's think; for steps, an upper
// bound — every sleep, command timeout and wait_until (its time, or its
// bound) of the whole list, repeats and guards counted (saturating). Loose
// for long lists; never too tight.
sim::Duration longest_pause(const ClientSpec& c) {
  if (!c.steps) return c.workload.think;
  using B = properties::LivenessBounds;
  const auto total = [](const auto& self, const std::vector<Step>& steps) -> sim::Duration {
    sim::Duration sum{0};
    for (const Step& step : steps) {
      if (const auto* sleep = std::get_if<SleepStep>(&step.kind)) sum = B::saturating_sum({sum, sleep->duration});
      if (const auto* command = std::get_if<CommandStep>(&step.kind)) sum = B::saturating_sum({sum, command->timeout});
      if (const auto* wait = std::get_if<WaitUntilStep>(&step.kind)) {
        sum = B::saturating_sum({sum, wait->condition == WaitCondition::time ? wait->at : wait->within});
      }
      if (const auto* repeat = std::get_if<RepeatStep>(&step.kind)) {
        sum = B::saturating_sum({sum, B::saturating_times(std::max(0, repeat->times), self(self, repeat->steps))});
      }
      if (const auto* guard = std::get_if<GuardStep>(&step.kind)) sum = B::saturating_sum({sum, self(self, guard->steps)});
    }
    return sum;
  };
  return total(total, *c.steps);
}

// The longest TTL any grant of the scenario's own lock may carry: its own,
// or a longer one an acquire or manager step asks for.
std::chrono::milliseconds longest_ttl(const Scenario& s) {
  std::chrono::milliseconds most = s.algorithm.ttl;
  const auto walk = [&most](const auto& self, const std::vector<Step>& steps) -> void {
    for (const Step& step : steps) {
      if (const auto* a = std::get_if<AcquireStep>(&step.kind); a != nullptr && a->ttl && a->lock.empty()) {
        most = std::max(most, *a->ttl);
      } else if (const auto* m = std::get_if<ManagerStep>(&step.kind); m != nullptr && m->ttl && m->lock.empty()) {
        most = std::max(most, *m->ttl);
      } else if (const auto* r = std::get_if<RepeatStep>(&step.kind)) {
        self(self, r->steps);
      } else if (const auto* g = std::get_if<GuardStep>(&step.kind)) {
        self(self, g->steps);
      }
    }
  };
  for (const ClientSpec& c : s.clients) {
    if (c.steps) walk(walk, *c.steps);
  }
  return most;
}

constexpr sim::Duration kTimerSlack = std::chrono::milliseconds(1);

// From the lock's options and the workload (docs/properties.md, "Liveness").
properties::LivenessBounds bounds_of(const Scenario& s) {
  const lock::ValidatedOptions v = lock::validate(
      s.algorithm.lock_options(), s.algorithm.kind == Algorithm::redlock ? s.cluster.masters.size() : 1,
      "algorithm");
  const sim::Duration ttl = longest_ttl(s);
  properties::LivenessBounds b;
  b.ttl = ttl;
  // The lock's own drift allowance (lock::drift_allowance, the term its
  // validity leaves out), and the same again for how far any clock may run
  // from true time over a ttl. Every sum and product saturates: a file may
  // state durations up to centuries (properties::LivenessBounds::saturating_*).
  using B = properties::LivenessBounds;
  b.drift_allowance = B::saturating_times(2, lock::drift_allowance(longest_ttl(s), v.drift_ppm));
  b.retry_delay_max = B::saturating_sum({s.algorithm.retry_delay, s.algorithm.retry_jitter});
  // An attempt: the SETs (each bounded by the node timeout, in parallel),
  // the fencing round, and the unlock of a failed attempt; a round trip each.
  const sim::Duration round_trip = B::saturating_times(2, sim::max_latency(s.cluster.latency));
  b.attempt_max = B::saturating_times(
      3, B::saturating_sum({std::chrono::duration_cast<sim::Duration>(v.node_timeout), round_trip}));
  sim::Duration think{0};
  for (const ClientSpec& c : s.clients) think = std::max(think, longest_pause(c));
  b.think_max = B::saturating_sum({think, sim::Duration(1ms)});
  // docs/locks.md: a call may return up to one node timeout after its
  // deadline (a failed attempt's undo release runs under its own), of
  // whichever lock the call used; plus a millisecond for the timer that ends
  // the wait (a drifting clock read at a timer's wake-up can be a rounding
  // nanosecond past its target, and a real timer wakes late).
  b.deadline_slack = std::chrono::duration_cast<sim::Duration>(v.node_timeout) + kTimerSlack;
  for (const LockSpec& l : s.locks) {
    const lock::ValidatedOptions named =
        lock::validate(l.algorithm.lock_options(), lock_masters(s, l.algorithm, l.masters).size(), "lock");
    b.deadline_slack =
        std::max(b.deadline_slack, std::chrono::duration_cast<sim::Duration>(named.node_timeout) + kTimerSlack);
  }
  return b;
}

std::vector<sim::ProcessId> client_ids(const Scenario& s) {
  std::vector<sim::ProcessId> clients;
  for (std::size_t i = 0; i < s.clients.size(); ++i) clients.push_back(client_id(s, i));
  return clients;
}

bool is_one_of(const std::vector<sim::ProcessId>& processes, sim::ProcessId p) {
  return std::find(processes.begin(), processes.end(), p) != processes.end();
}

// t + d, saturating: a file may state durations up to centuries.
sim::TrueTime later(sim::TrueTime t, sim::Duration d) { return lock::detail::add_saturating(t, d); }

// How many masters RedLock tolerates losing at once: N - quorum for the
// scenario's own RedLock, when it is the only lock; 0 otherwise (a single
// node tolerates nothing, and named locks may have their own masters and
// quorums).
std::size_t tolerable_masters(const Scenario& s) {
  if (s.algorithm.kind != Algorithm::redlock || !s.locks.empty()) return 0;
  return masters_that_may_fail(s);
}

// The true time after which no fault but client crashes, and faults that
// touch at most as many masters at once as RedLock's quorum tolerates, is in
// effect: clients must keep getting the lock during those.
sim::TrueTime last_heal(const Scenario& s, const RunReport& r, const std::vector<sim::ProcessId>& clients) {
  const sim::TrueTime never = r.run.now;  // a fault that never ends: nothing after it is judged
  const auto is_client = [&](sim::ProcessId p) { return is_one_of(clients, p); };
  // A restarted master serves again after its restart delay and, if it has
  // data to load, its load time (it answers LOADING meanwhile).
  const auto restart_time_of = [&](sim::ProcessId p) {
    for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) {
      const MasterSpec& m = s.cluster.masters[i];
      if (master_id(s, i) == p) return properties::LivenessBounds::saturating_sum({m.restart_delay, sim::Duration(m.load_time)});
    }
    return sim::Duration(0);
  };
  const std::size_t tolerable = tolerable_masters(s);
  std::vector<sim::ProcessId> masters;
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) masters.push_back(master_id(s, i));
  std::vector<MasterOutage> outages;
  sim::TrueTime heal{};
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const sim::Fault& f = s.faults[i];
    // A fault that a later record ends (pause, crash, partition) acts until
    // that record; one that nothing ends, until the run's end.
    const std::optional<std::size_t> end = sim::ending_fault(s.faults, i);
    const sim::TrueTime ended = end ? s.faults[*end].at : never;
    // A crashed server is back only once its restart (delay and loading)
    // is over; a crashed client is judged by the crashed-holder rule instead.
    const auto crash_until = [&](sim::ProcessId p) {
      return is_client(p) ? f.at : later(ended, end ? restart_time_of(p) : sim::Duration(0));
    };
    const sim::TrueTime until = std::visit(
        sim::detail::Overloaded{
            [&](const sim::ProcessPause&) { return ended; },
            [&](const sim::ProcessKill& k) { return crash_until(k.process); },
            [&](const sim::MachineCrash& k) { return crash_until(k.process); },
            [&](const sim::LinkPartition&) { return ended; },
            [&](const sim::MessageDelay& d) {
              return later(f.at, properties::LivenessBounds::saturating_times(d.count, d.extra));
            },
            // A clock step is over the instant it happens; a key it makes
            // live longer (a server's clock stepped back) is a wait the
            // rules must see, not one to excuse.
            [&](const sim::ClockJump&) { return f.at; },
            [&](const auto&) { return f.at; },
        },
        f.action);
    const std::optional<std::vector<sim::ProcessId>> hit =
        tolerable > 0 ? masters_only(f, masters, clients) : std::nullopt;
    if (hit && hit->size() <= tolerable) {
      for (const sim::ProcessId m : *hit) outages.push_back({m, f.at, std::min(until, never)});
      continue;
    }
    heal = std::max(heal, std::min(until, never));
  }
  heal = std::max(heal, last_overload_end(outages, tolerable));
  for (const Failover& f : s.failovers) {
    heal = std::max(heal, later(f.at, properties::LivenessBounds::saturating_sum(
                                          {s.cluster.discovery_delay, sim::Duration(1s)})));
  }
  return heal;
}

// The pauses and clock steps of client processes (the deadline rule excuses
// the calls they interrupt).
std::vector<properties::ClientInterruption> client_interruptions(const Scenario& s, const RunReport& r,
                                                                 const std::vector<sim::ProcessId>& clients) {
  const auto is_client = [&](sim::ProcessId p) { return is_one_of(clients, p); };
  std::vector<properties::ClientInterruption> out;
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const sim::Fault& f = s.faults[i];
    if (const auto* pause = std::get_if<sim::ProcessPause>(&f.action); pause && is_client(pause->process)) {
      const std::optional<std::size_t> end = sim::ending_fault(s.faults, i);
      out.push_back({.process = pause->process, .from = f.at, .to = end ? s.faults[*end].at : r.run.now});
    } else if (const auto* jump = std::get_if<sim::ClockJump>(&f.action); jump && is_client(jump->process)) {
      out.push_back({.process = jump->process, .from = f.at, .to = f.at});
    }
  }
  return out;
}

properties::RunEnd run_end(sim::RunStatus status) {
  switch (status) {
    case sim::RunStatus::reached_time: return properties::RunEnd::deadline;
    case sim::RunStatus::idle: return properties::RunEnd::idle;
    case sim::RunStatus::budget_exhausted:
    case sim::RunStatus::failed: return properties::RunEnd::budget;
  }
  return properties::RunEnd::budget;
}

}  // namespace

properties::LivenessInput liveness_input(const Scenario& s, const RunReport& r) {
  const std::vector<sim::ProcessId> clients = client_ids(s);
  return {.bounds = bounds_of(s),
          .last_heal = last_heal(s, r, clients),
          .run_end = r.run.now,
          .ended = run_end(r.run.status),
          .crashes = client_crashes(s.faults, clients),
          .interruptions = client_interruptions(s, r, clients),
          .fifo_local_waiters = true};
}

std::vector<properties::Verdict> judge(const Scenario& s, const RunReport& report) {
  std::vector<properties::Verdict> verdicts;
  verdicts.push_back(properties::check_mutual_exclusion(report.history, report.faults));
  verdicts.push_back(properties::check_resource_safety(report.history, report.storage, report.faults));
  properties::Verdict liveness = properties::check_liveness(report.history, liveness_input(s, report), report.faults);
  if (report.world_failed() && liveness.kind == properties::Verdict::Kind::unknown) {
    // Not a world whose liveness is in doubt but one that did not run to its
    // end: say so, and keep the list of what was blocked.
    const std::size_t rest = liveness.summary.find("; ");
    liveness.summary = fmt::format("liveness not judged: the world failed ({} at {}: {}){}",
                                   sim::name_of(report.run.status),
                                   sim::format_duration(report.run.now.time_since_epoch()), report.run.detail,
                                   rest == std::string::npos ? "" : liveness.summary.substr(rest));
  }
  verdicts.push_back(std::move(liveness));
  verdicts.push_back(properties::check_token_hygiene(report.history, report.faults));
  return verdicts;
}

}  // namespace locklab::scenarios
