// is_within(): a scenario, read as data, against an envelope. See
// envelope.hpp for the rules in words; envelopes.cpp states the envelopes.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "locklab/lock/detail/saturate.hpp"
#include "locklab/properties/liveness.hpp"
#include "locklab/scenarios/envelope.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
using Sat = properties::LivenessBounds;  // its saturating sums: a file may state centuries

// What a process of the scenario's world is (process_names() order).
enum class Role : std::uint8_t { master, replica, storage, client, unknown };

struct Process {
  Role role = Role::unknown;
  std::size_t master = 0;  // for a master: its index in cluster.masters
};

Process process_of(const Scenario& s, sim::ProcessId p) {
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) {
    const auto first = sim::index_of(master_id(s, i));
    const auto id = sim::index_of(p);
    if (id == first) return {Role::master, i};
    if (id > first && id <= first + static_cast<std::size_t>(std::max(0, s.cluster.masters[i].replicas))) {
      return {Role::replica, i};
    }
  }
  if (p == storage_id(s)) return {Role::storage};
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    if (p == client_id(s, i)) return {Role::client};
  }
  return {};
}

bool allows(const Envelope& e, FaultClass c) {
  return std::find(e.classes.begin(), e.classes.end(), c) != e.classes.end();
}

// The fixed latency of a world whose network stays far below every timeout.
constexpr sim::Duration kFastNetwork = 100us;

std::string cluster_problem(const Scenario& s, const Envelope& e) {
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) {
    const MasterSpec& m = s.cluster.masters[i];
    if (m.replicas > 0 && !e.replicas) {
      return fmt::format("cluster.masters[{}].replicas: {} replica(s); an async replica can lose acknowledged writes",
                         i, m.replicas);
    }
    if (std::abs(m.clock.drift_ppm) > e.bounds.drift_ppm) {
      return fmt::format("cluster.masters[{}].clock.drift_ppm: {} is more than the {} ppm allowed", i,
                         m.clock.drift_ppm, e.bounds.drift_ppm);
    }
  }
  if (!s.failovers.empty() && !allows(e, FaultClass::failover)) {
    return fmt::format("failovers[0]: a failover to '{}' (an async replica may lose the key)", s.failovers[0].master);
  }
  if (!e.any_latency && sim::max_latency(s.cluster.latency) > kFastNetwork) {
    return fmt::format("cluster.latency: up to {}, more than the {} this lock needs",
                       sim::format_duration(sim::max_latency(s.cluster.latency)), sim::format_duration(kFastNetwork));
  }
  return {};
}

// How long every attempt of one acquire can take together, retries and
// their sleeps included: a deadline at least this far off never cuts in.

// A holder's work per write: a share of the TTL, split over its writes.
sim::Duration most_work(const Scenario& s, const Envelope& e, int writes) {
  const auto share = static_cast<sim::Duration::rep>(e.hold_divisor) * std::max(1, writes);
  return std::max<sim::Duration>(2ms, std::chrono::duration_cast<sim::Duration>(s.algorithm.ttl) / share);
}

// The commands a step may send and stay within: they read, never change a key.
bool reads_only(const std::vector<std::string>& argv) {
  static constexpr std::string_view kReads[] = {"ping", "get", "exists", "pttl", "ttl"};
  if (argv.empty()) return false;
  std::string name = argv[0];
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(std::begin(kReads), std::end(kReads), name) != std::end(kReads);
}

// Steps stay within when they are what the envelopes reason about (never
// with a naive lock, whose envelope covers only the shorthand): the
// scenario's own lock, careful writes with the shorthand's share of work, no
// TTL shorter than the scenario's (the fault bounds are fractions of it), no
// deadline inside an attempt where the envelope forbids one (and then no
// manager, whose waiters give up at any moment), and raw commands that only
// read. Holds, sleeps, extends, releases, watchdogs, mutexes, guards and
// oracles change nothing the envelopes assume.
std::string steps_problem(const std::vector<Step>& steps, const Scenario& s, const Envelope& e,
                          const std::string& path) {
  const std::chrono::milliseconds ttl = s.algorithm.ttl;
  // A naive lock's extend and release act blindly, on whoever's key it is:
  // only the shorthand's short holds keep them on the holder's own.
  if (s.algorithm.kind == Algorithm::naive || s.algorithm.kind == Algorithm::naive_setnx) {
    return fmt::format("{}: steps with a naive lock are not a workload its envelope describes", path);
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", path, i);
    std::string why = std::visit(
        sim::detail::Overloaded{
            [&](const AcquireStep& a) -> std::string {
              if (!a.lock.empty()) return fmt::format("{}.lock: a named lock is not one the envelope describes", at);
              if (a.ttl && *a.ttl < ttl) return fmt::format("{}.ttl: shorter than the scenario's", at);
              if (!e.deadline_may_cut && a.deadline < all_attempts(s)) {
                return fmt::format("{}.deadline: may end inside an attempt", at);
              }
              return {};
            },
            [&](const WriteStep& w) -> std::string {
              if (!w.careful) return fmt::format("{}.careful: false (a careless write)", at);
              if (w.work > most_work(s, e, w.count)) return fmt::format("{}.work: more than a holder may work", at);
              return {};
            },
            [&](const CommandStep& c) -> std::string {
              return reads_only(c.argv) ? std::string() : fmt::format("{}.command: may change a key", at);
            },
            [&](const MutexStep& m) -> std::string {
              if (!m.lock.empty()) return fmt::format("{}.lock: a named lock is not one the envelope describes", at);
              if (!e.deadline_may_cut && m.call != MutexCall::unlock && m.timeout < all_attempts(s)) {
                return fmt::format("{}.timeout: may end inside an attempt", at);
              }
              return {};
            },
            [&](const ManagerStep& m) -> std::string {
              if (!m.lock.empty()) return fmt::format("{}.lock: a named lock is not one the envelope describes", at);
              if (m.ttl && *m.ttl < ttl) return fmt::format("{}.ttl: shorter than the scenario's", at);
              if (!e.deadline_may_cut) return fmt::format("{}: waiters give up inside attempts", at);
              return {};
            },
            [&](const RepeatStep& r) { return steps_problem(r.steps, s, e, at + ".steps"); },
            [&](const GuardStep& g) { return steps_problem(g.steps, s, e, at + ".guard"); },
            [](const auto&) { return std::string(); },
        },
        steps[i].kind);
    if (!why.empty()) return why;
  }
  return {};
}

std::string client_problem(const Scenario& s, const Envelope& e) {
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    const ClientSpec& c = s.clients[i];
    const sim::ClientWorkload& w = c.workload;
    if (std::abs(c.clock.drift_ppm) > e.bounds.drift_ppm) {
      return fmt::format("clients[{}].clock.drift_ppm: {} is more than the {} ppm allowed", i, c.clock.drift_ppm,
                         e.bounds.drift_ppm);
    }
    if (c.steps) {
      if (std::string why = steps_problem(*c.steps, s, e, fmt::format("clients[{}].steps", i)); !why.empty()) {
        return why;
      }
      continue;
    }
    if (!w.careful) {
      return fmt::format("clients[{}].careful: false (a careless holder writes after its lease may have ended)", i);
    }
    // A holder's work per write: a share of the TTL, split over its writes.
    const sim::Duration ttl = s.algorithm.ttl;
    const auto share = static_cast<sim::Duration::rep>(e.hold_divisor) * std::max(1, w.writes);
    const sim::Duration most = std::max<sim::Duration>(2ms, ttl / share);
    if (w.hold > most) {
      return fmt::format("clients[{}].hold: {} is more than the {} a holder may work per write (ttl / {})", i,
                         sim::format_duration(w.hold), sim::format_duration(most), share);
    }
    if (!e.deadline_may_cut && w.acquire_timeout < all_attempts(s)) {
      return fmt::format("clients[{}].acquire_timeout: {} may end inside an attempt (every retry takes up to {})", i,
                         sim::format_duration(w.acquire_timeout), sim::format_duration(all_attempts(s)));
    }
  }
  return {};
}

// A crashed master comes back with the key, or after every lease on it has
// ended; with fencing only the first will do (the counter must survive).
bool comes_back_safely(const Scenario& s, const Envelope& e, const MasterSpec& m) {
  if (!e.durable_masters || m.persistence == sim::redis::Persistence::aof_always) return true;
  const sim::Duration ttl = s.algorithm.ttl;
  return !s.algorithm.fencing && m.restart_delay >= Sat::saturating_times(e.restart_factor, ttl);
}

// The class of a fault record, or why it is outside every class the
// envelope could allow. Records that end a fault (resume, restart, heal)
// have no class of their own.
struct Classified {
  std::optional<FaultClass> fault_class;
  std::string problem;
};

Classified classify(const Scenario& s, const Envelope& e, const sim::Fault& f) {
  const auto names_storage = [&](const std::vector<sim::ProcessId>& ps) {
    return std::any_of(ps.begin(), ps.end(), [&](sim::ProcessId p) { return process_of(s, p).role == Role::storage; });
  };
  const auto crash = [&](sim::ProcessId p) -> Classified {
    const Process who = process_of(s, p);
    if (who.role == Role::client) return {FaultClass::client_crash, {}};
    if (who.role == Role::storage) return {std::nullopt, "a crash of the storage"};
    if (who.role == Role::master && !comes_back_safely(s, e, s.cluster.masters[who.master])) {
      return {std::nullopt, fmt::format("a crash of '{}', which can lose the key (or its fencing counter) and "
                                        "come back before the leases on it end",
                                        s.cluster.masters[who.master].name)};
    }
    return {FaultClass::server_crash, {}};
  };
  return std::visit(
      sim::detail::Overloaded{
          [&](const sim::ProcessPause& p) -> Classified {
            const Role role = process_of(s, p.process).role;
            if (role == Role::storage) return {std::nullopt, "a pause of the storage"};
            return {role == Role::client ? FaultClass::client_pause : FaultClass::server_pause, {}};
          },
          [&](const sim::ProcessKill& k) { return crash(k.process); },
          [&](const sim::MachineCrash& k) { return crash(k.process); },
          [&](const sim::LinkPartition& p) -> Classified {
            if (names_storage(p.from) || names_storage(p.to)) return {std::nullopt, "a partition from the storage"};
            if (p.mode == sim::PartitionMode::hold && !e.bounds.hold_partitions) {
              return {std::nullopt, "a holding partition (its messages arrive late)"};
            }
            return {FaultClass::partition, {}};
          },
          [&](const sim::ConnectionReset& r) -> Classified {
            if (names_storage({r.a, r.b})) return {std::nullopt, "a reset connection to the storage"};
            return {FaultClass::partition, {}};
          },
          [&](const sim::MessageDelay& d) -> Classified {
            if (names_storage({d.from, d.to}) && !e.bounds.delay_storage) {
              return {std::nullopt, "a delayed write to the storage"};
            }
            return {FaultClass::delay, {}};
          },
          [&](const sim::ClockJump&) -> Classified { return {FaultClass::clock_jump, {}}; },
          [&](const sim::ClockDriftSet& d) -> Classified {
            const std::int64_t most = std::max(e.bounds.drift_ppm, e.bounds.max_drift_change_ppm);
            if (std::abs(d.drift_ppm) > most) {
              return {std::nullopt, fmt::format("a drift of {} ppm, more than the {} ppm allowed", d.drift_ppm, most)};
            }
            return {};  // within the allowance: harmless at any time
          },
          [&](const auto&) -> Classified { return {}; },
      },
      f.action);
}

// The most masters down at one moment: a crashed master is down from its
// crash until its restart plus its restart delay (forever with no restart).
std::size_t most_masters_down(const Scenario& s) {
  struct Down {
    std::size_t master;
    sim::TrueTime from;
    sim::TrueTime until;
  };
  std::vector<Down> down;
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const sim::Fault& f = s.faults[i];
    std::optional<sim::ProcessId> crashed;
    if (const auto* k = std::get_if<sim::ProcessKill>(&f.action)) crashed = k->process;
    if (const auto* k = std::get_if<sim::MachineCrash>(&f.action)) crashed = k->process;
    if (!crashed || process_of(s, *crashed).role != Role::master) continue;
    const std::size_t m = process_of(s, *crashed).master;
    const std::optional<std::size_t> end = sim::ending_fault(s.faults, i);
    const sim::TrueTime until = end ? lock::detail::add_saturating(s.faults[*end].at, s.cluster.masters[m].restart_delay)
                                    : sim::TrueTime::max();
    down.push_back({m, f.at, until});
  }
  std::size_t most = 0;
  for (const Down& d : down) {  // the count only rises at a crash
    std::vector<std::size_t> masters;
    for (const Down& o : down) {
      if (o.from <= d.from && d.from < o.until &&
          std::find(masters.begin(), masters.end(), o.master) == masters.end()) {
        masters.push_back(o.master);
      }
    }
    most = std::max(most, masters.size());
  }
  return most;
}

}  // namespace

std::size_t masters_that_may_fail(const Scenario& s) {
  // As lock::validate reads the options, without its errors: this is asked of
  // scenarios not yet validated too (one without masters, say).
  const std::size_t nodes = lock_masters(s, s.algorithm, {}).size();
  const std::size_t quorum = s.algorithm.quorum.value_or(nodes / 2 + 1);
  return quorum >= nodes ? 0 : nodes - quorum;
}

sim::Duration all_attempts(const Scenario& s) {
  const lock::ValidatedOptions v = lock::validate(
      s.algorithm.lock_options(), s.algorithm.kind == Algorithm::redlock ? s.cluster.masters.size() : 1, "algorithm");
  // Up to three requests an attempt (set, expire or fence, unlock), each
  // waited for at most the node timeout, a round trip each.
  const sim::Duration attempt = Sat::saturating_times(
      3, Sat::saturating_sum({std::chrono::duration_cast<sim::Duration>(v.node_timeout),
                              Sat::saturating_times(2, sim::max_latency(s.cluster.latency))}));
  const sim::Duration sleep = Sat::saturating_sum({s.algorithm.retry_delay, s.algorithm.retry_jitter});
  const auto retries = static_cast<sim::Duration::rep>(std::max(0, s.algorithm.retry_count));
  return Sat::saturating_sum({Sat::saturating_times(retries + 1, attempt), Sat::saturating_times(retries, sleep)});
}

std::string beyond_because(const Scenario& s, const Envelope& e) {
  if (std::string p = cluster_problem(s, e); !p.empty()) return p;
  if (std::string p = client_problem(s, e); !p.empty()) return p;
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const Classified c = classify(s, e, s.faults[i]);
    if (!c.problem.empty()) return fmt::format("faults[{}]: {} is beyond the assumptions", i, c.problem);
    if (c.fault_class && !allows(e, *c.fault_class)) {
      return fmt::format("faults[{}]: {} is not among the fault classes within the assumptions", i,
                         name_of(*c.fault_class));
    }
  }
  if (e.majority_up) {
    // A quorum up: the configured one, or a majority.
    const std::size_t may_fail = masters_that_may_fail(s);
    if (const std::size_t down = most_masters_down(s); down > may_fail) {
      return fmt::format("faults: {} of {} masters down at once; at most {} may be (quorum {})", down,
                         s.cluster.masters.size(), may_fail, s.cluster.masters.size() - may_fail);
    }
  }
  return {};
}

bool is_within(const Scenario& s, const Envelope& e) { return beyond_because(s, e).empty(); }

}  // namespace locklab::scenarios
