// generate_scenario(): one seed, one world. Draws happen in a fixed order
// from streams forked by name, so adding a draw to one part (say, the
// workload) does not change what another part (the faults) draws.
#include "locklab/scenarios/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "locklab/assert.hpp"
#include "locklab/sim/rng.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;

template <typename T, std::size_t N>
T pick(sim::Rng& rng, const std::array<T, N>& options) {
  return options[rng.below(N)];
}

// In whole milliseconds, so a written scenario reads "180ms", not
// "177543379ns" (lo and hi are whole milliseconds too).
sim::Duration between(sim::Rng& rng, sim::Duration lo, sim::Duration hi) {
  const auto ms = [](sim::Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  return std::chrono::milliseconds(rng.between(ms(lo), ms(hi)));
}

AlgorithmSpec draw_algorithm(sim::Rng& rng, const GeneratorOptions& o) {
  AlgorithmSpec a;
  a.kind = o.algorithm ? *o.algorithm
                       : pick(rng, std::array{Algorithm::naive, Algorithm::naive_setnx,
                                              Algorithm::single_node, Algorithm::redlock});
  a.ttl = pick(rng, std::array{200ms, 500ms, 1000ms, 2000ms});
  a.drift_ppm = 10'000;
  a.retry_count = static_cast<int>(rng.between(3, 10));
  a.retry_delay = std::chrono::milliseconds(rng.between(20, 200));
  a.retry_jitter = std::chrono::milliseconds(rng.between(0, 100));
  // A node's wait: 2–10% of the TTL (RedLock's advice: small against it),
  // at least 5 ms so ordinary latency tails do not time every request out.
  a.node_timeout = std::max<sim::Duration>(5ms, between(rng, a.ttl / 50, a.ttl / 10));
  a.fencing = o.fencing.value_or(rng.chance(1, 2));
  a.return_early = a.kind == Algorithm::redlock && rng.chance(1, 4);
  if (a.kind != Algorithm::redlock && a.kind != Algorithm::single_node) a.fencing = false;
  return a;
}

void draw_cluster(sim::Rng& rng, const GeneratorOptions& o, const Envelope& envelope, Scenario& s) {
  const int masters = s.algorithm.kind == Algorithm::redlock ? o.masters.value_or(pick(rng, std::array{1, 3, 5, 7}))
                                                             : 1;
  for (int i = 0; i < masters; ++i) {
    MasterSpec m{.name = fmt::format("redis-{}", i)};
    if (envelope.durable_masters) {
      // Loses nothing, or stays down long enough for every lease to end. A
      // delayed restart protects leases, not the fencing counter (it comes
      // back at zero): with fencing, only a master that loses nothing will do.
      if (rng.chance(1, 2) || s.algorithm.fencing) {
        m.persistence = sim::redis::Persistence::aof_always;
      } else {
        m.restart_delay = envelope.restart_factor * std::chrono::duration_cast<sim::Duration>(s.algorithm.ttl);
      }
    } else {
      m.persistence = pick(rng, std::array{sim::redis::Persistence::none, sim::redis::Persistence::aof_everysec,
                                           sim::redis::Persistence::aof_always, sim::redis::Persistence::rdb});
      if (rng.chance(1, 3)) m.restart_delay = between(rng, 0ms, 2 * std::chrono::duration_cast<sim::Duration>(s.algorithm.ttl));
    }
    if (envelope.replicas && rng.chance(1, 3)) m.replicas = 1;
    s.cluster.masters.push_back(std::move(m));
  }
  const std::uint64_t latency_kind = rng.below(3);  // drawn either way: later draws stay put
  if (!envelope.any_latency) {
    s.cluster.latency = sim::FixedLatency{100us};
    return;
  }
  switch (latency_kind) {
    case 0: s.cluster.latency = sim::FixedLatency{100us}; break;
    case 1: s.cluster.latency = sim::UniformLatency{50us, 2ms}; break;
    default: s.cluster.latency = sim::HeavyTailLatency{100us, 5ms}; break;
  }
}

void draw_clients(sim::Rng& rng, const GeneratorOptions& o, const Envelope& envelope, Scenario& s) {
  const int n = static_cast<int>(rng.between(o.min_clients, o.max_clients));
  const sim::Duration ttl = s.algorithm.ttl;
  for (int i = 0; i < n; ++i) {
    sim::ClientWorkload w;
    w.key = rng.chance(1, 4) ? "lock-2" : "lock";
    w.iterations = static_cast<int>(rng.between(2, 20));
    w.start_after = between(rng, 0ms, 1s);
    w.acquire_timeout = between(rng, ttl, 3 * ttl);
    // Longer than every retry the lock makes: the deadline never cuts in.
    if (!envelope.deadline_may_cut) w.acquire_timeout = std::chrono::hours(1);
    w.writes = static_cast<int>(rng.between(1, 3));
    w.hold = between(rng, 1ms, std::max<sim::Duration>(2ms, ttl / (envelope.hold_divisor * w.writes)));
    w.write_timeout = 100ms;
    // Within the assumptions a holder must not outwork its lease; beyond
    // them, half the clients are careless.
    w.careful = o.mode == Mode::within || rng.chance(1, 2);
    w.think = between(rng, 0ms, 200ms);
    s.clients.push_back({.name = fmt::format("client-{}", i + 1), .workload = w});
  }
}

// One client's steps: a component's workload, `rounds` times over, within
// the envelope (careful writes with a share of the TTL as work; per-call
// TTLs no shorter than the scenario's; deadlines that outlast every retry
// where the envelope wants it).
std::vector<Step> draw_steps(sim::Rng& rng, const Envelope& envelope, const Scenario& s, sim::Duration attempts) {
  const sim::Duration ttl = s.algorithm.ttl;
  const sim::Duration deadline = envelope.deadline_may_cut ? between(rng, ttl, 3 * ttl) : sim::Duration(std::chrono::hours(1));
  const std::string key = rng.chance(1, 4) ? "lock-2" : "lock";
  const auto work = [&](int writes) {
    return between(rng, 1ms, std::max<sim::Duration>(2ms, ttl / (envelope.hold_divisor * writes)));
  };
  const auto acquire = [&] {
    AcquireStep a{.key = key, .deadline = deadline};
    if (rng.chance(1, 4)) a.ttl = std::chrono::duration_cast<std::chrono::milliseconds>(between(rng, ttl, 2 * ttl));
    if (rng.chance(1, 4)) a.single_attempt = true;
    return a;
  };
  const auto write = [&] {
    const int n = static_cast<int>(rng.between(1, 2));
    return WriteStep{.count = n, .work = work(n), .timeout = 100ms, .careful = true};
  };
  std::vector<Step> round;
  const auto components = envelope.deadline_may_cut ? 6 : 5;  // the manager needs deadlines that may cut
  switch (rng.below(components)) {
    case 0:  // extends
      round = {acquire(), write(), ExtendStep{.deadline = ttl}, write(), ReleaseStep{}};
      break;
    case 1: {  // a watchdog, holding around its renewals
      WatchStep w;
      if (rng.chance(1, 2)) w.renew_before = std::chrono::duration_cast<std::chrono::milliseconds>(between(rng, ttl / 5, ttl / 2));
      if (rng.chance(1, 2)) w.max_renewals = static_cast<int>(rng.between(0, 4));
      const sim::Duration hold = between(rng, ttl / 2, 3 * ttl);
      round = {acquire(), w, HoldStep{.min = hold / 2, .max = hold}, write(), ReleaseStep{}};
      break;
    }
    case 2: {  // working up to the end of the validity
      const sim::Duration edge = ttl - ttl / 10;
      round = {acquire(), HoldStep{.min = edge - ttl / 10, .max = edge + ttl / 10}, write(), ReleaseStep{}};
      break;
    }
    case 3:  // a mutex
      round = {MutexStep{.key = key, .call = rng.chance(1, 2) ? MutexCall::lock : MutexCall::try_lock_for,
                         .timeout = std::max(deadline, attempts)},
               write(), ReleaseStep{}};
      break;
    case 4:  // a guard
      round = {acquire(), GuardStep{.steps = {write(), HoldStep{.min = 0ms, .max = ttl / 4}}}};
      break;
    default: {  // a lock manager's waiters, some giving up
      ManagerStep m{.key = key};
      const auto waiters = rng.between(2, 5);
      for (std::int64_t i = 0; i < waiters; ++i) {
        ManagerWaiter x{.start_after = between(rng, 0ms, 50ms), .deadline = between(rng, ttl / 4, 3 * ttl)};
        switch (rng.below(4)) {
          case 0: x.stop_after = between(rng, 0ms, ttl); break;
          case 1: x.destroy_after = between(rng, 0ms, ttl); break;
          default: break;
        }
        const int writes = static_cast<int>(rng.between(0, 2));
        x.hold = work(std::max(1, writes));
        x.writes = writes;
        x.unlock = !rng.chance(1, 4);
        m.waiters.push_back(x);
      }
      round = {m};
    }
  }
  round.emplace_back(SleepStep{.duration = between(rng, 0ms, 200ms)});
  return {SleepStep{.duration = between(rng, 0ms, 1s)},
          RepeatStep{.times = static_cast<int>(rng.between(2, 10)), .steps = std::move(round)}};
}

FaultMix draw_fault_counts(sim::Rng& rng, const GeneratorOptions& o, const Envelope& envelope,
                                       std::vector<FaultClass>& classes, int& failovers) {
  FaultMix mix = envelope.bounds;
  mix.horizon = o.duration * 8 / 10;
  for (int i = 0; i < o.faults && !classes.empty(); ++i) {
    switch (classes[rng.below(classes.size())]) {
      case FaultClass::client_pause: ++mix.client_pauses; break;
      case FaultClass::server_pause: ++mix.server_pauses; break;
      case FaultClass::client_crash: ++mix.client_crashes; break;
      case FaultClass::server_crash: ++mix.server_crashes; break;
      case FaultClass::partition: ++mix.partitions; break;
      case FaultClass::delay: ++mix.delays; break;
      case FaultClass::clock_jump: ++mix.clock_jumps; break;
      case FaultClass::drift: ++mix.drift_changes; break;
      case FaultClass::failover: ++failovers; break;
    }
  }
  // Client crashes end a client for good: a few at most.
  mix.client_crashes = std::min(mix.client_crashes, 2);
  return mix;
}

}  // namespace

Scenario generate_scenario(std::uint64_t seed, const GeneratorOptions& o) {
  LOCKLAB_ASSERT_LE(o.min_clients, o.max_clients);
  LOCKLAB_ASSERT_GE(o.min_clients, 1);
  const sim::Rng root(seed);
  sim::Rng algorithm_rng = root.fork("algorithm");
  sim::Rng cluster_rng = root.fork("cluster");
  sim::Rng client_rng = root.fork("clients");
  sim::Rng fault_rng = root.fork("faults");
  sim::Rng order_rng = root.fork("order");

  Scenario s;
  s.seed = seed;
  s.duration = o.duration;
  // Half the worlds pick among ready fibers at random: other interleavings
  // of the same events.
  s.order = order_rng.chance(1, 2) ? sim::ReadyOrder::random : sim::ReadyOrder::fifo;
  s.algorithm = draw_algorithm(algorithm_rng, o);
  s.storage.fenced = s.algorithm.fencing;
  s.name = fmt::format("{}-{}-{}", name_of(s.algorithm.kind), name_of(o.mode), seed);
  const Envelope envelope = envelope_for(s.algorithm.kind, o.mode, s.algorithm.ttl, s.algorithm.drift_ppm);
  draw_cluster(cluster_rng, o, envelope, s);
  draw_clients(client_rng, o, envelope, s);
  // Within, a naive lock's envelope describes only the shorthand workload.
  const bool naive = s.algorithm.kind == Algorithm::naive || s.algorithm.kind == Algorithm::naive_setnx;
  if (o.steps && !(naive && o.mode == Mode::within)) {
    sim::Rng steps_rng = root.fork("steps");
    const sim::Duration attempts = all_attempts(s);
    for (ClientSpec& c : s.clients) {
      if (steps_rng.chance(1, 2)) c.steps = draw_steps(steps_rng, envelope, s, attempts);
    }
    // A configured quorum, more than a majority up to every master: fewer
    // masters may then fail at once (the faults below keep to it within).
    const std::size_t n = s.cluster.masters.size();
    if (s.algorithm.kind == Algorithm::redlock && n >= 3 && steps_rng.chance(1, 4)) {
      s.algorithm.quorum = static_cast<std::size_t>(steps_rng.between(static_cast<std::int64_t>(n / 2 + 1),
                                                                      static_cast<std::int64_t>(n)));
    }
  }

  std::vector<FaultClass> classes;
  for (const FaultClass c : envelope.classes) {
    if (o.classes.empty() || std::find(o.classes.begin(), o.classes.end(), c) != o.classes.end()) {
      classes.push_back(c);
    }
  }
  // Failover needs a master with a replica.
  const bool has_replica = std::any_of(s.cluster.masters.begin(), s.cluster.masters.end(),
                                       [](const MasterSpec& m) { return m.replicas > 0; });
  if (!has_replica) std::erase(classes, FaultClass::failover);
  int failovers = 0;
  FaultMix mix = draw_fault_counts(fault_rng, o, envelope, classes, failovers);
  if (envelope.majority_up) {
    // No more down at once than the quorum allows (a minority, or fewer with
    // a larger configured quorum), a restarting master counted until it serves.
    mix.max_masters_down = masters_that_may_fail(s);
    for (const MasterSpec& m : s.cluster.masters) {
      mix.restart_unavailable = std::max(mix.restart_unavailable, m.restart_delay);
    }
  }

  WorldShape shape;
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) shape.masters.push_back(master_id(s, i));
  for (std::size_t i = 0; i < s.clients.size(); ++i) shape.clients.push_back(client_id(s, i));
  shape.storage = storage_id(s);
  s.faults = random_faults(fault_rng, shape, mix);
  for (int i = 0; i < failovers; ++i) {
    std::vector<std::string> candidates;
    for (const MasterSpec& m : s.cluster.masters) {
      if (m.replicas > 0) candidates.push_back(m.name);
    }
    s.failovers.push_back({sim::true_time(between(fault_rng, 0ms, mix.horizon)),
                           candidates[fault_rng.below(candidates.size())]});
  }
  std::stable_sort(s.failovers.begin(), s.failovers.end(),
                   [](const Failover& a, const Failover& b) { return a.at < b.at; });
  s.description = fmt::format("Drawn by generate_scenario(seed {}, {} assumptions).", seed, name_of(o.mode));
  LOCKLAB_ASSERT(validate(s).empty());
  // The generator's promise: a world drawn within is within by the one
  // predicate everything else judges it by.
  LOCKLAB_ASSERT(o.mode != Mode::within || is_within(s, envelope), "seed ", seed, ": ",
                 beyond_because(s, envelope));
  return s;
}

}  // namespace locklab::scenarios
