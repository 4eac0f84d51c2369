// Process layout, validation and option mapping of a Scenario.
#include "locklab/scenarios/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {

ClientSpec ClientSpec::normalized() const {
  ClientSpec c = *this;
  if (c.steps) {
    if (std::optional<sim::ClientWorkload> w = shorthand_of(*c.steps)) {
      c.workload = *w;
      c.steps.reset();
    }
  }
  return c;
}

namespace {

constexpr std::pair<Algorithm, std::string_view> kAlgorithmNames[] = {
    {Algorithm::naive, "naive"},
    {Algorithm::naive_setnx, "naive_setnx"},
    {Algorithm::single_node, "single_node"},
    {Algorithm::redlock, "redlock"},
};

std::size_t replica_count(const Scenario& s) {
  std::size_t n = 0;
  for (const MasterSpec& m : s.cluster.masters) n += static_cast<std::size_t>(std::max(0, m.replicas));
  return n;
}

// The processes a fault names, for range checks.
std::vector<sim::ProcessId> processes_of(const sim::FaultAction& action) {
  return std::visit(
      sim::detail::Overloaded{
          [](const sim::LinkPartition& p) {
            std::vector<sim::ProcessId> all = p.from;
            all.insert(all.end(), p.to.begin(), p.to.end());
            return all;
          },
          [](const sim::LinkHeal& h) {
            std::vector<sim::ProcessId> all = h.from;
            all.insert(all.end(), h.to.begin(), h.to.end());
            return all;
          },
          [](const sim::MessageDelay& d) { return std::vector<sim::ProcessId>{d.from, d.to}; },
          [](const sim::ConnectionReset& r) { return std::vector<sim::ProcessId>{r.a, r.b}; },
          [](const auto& single) { return std::vector<sim::ProcessId>{single.process}; },
      },
      action);
}

bool is_checker(std::string_view name) {
  return std::find(std::begin(kCheckers), std::end(kCheckers), name) != std::end(kCheckers);
}

// The expectations of single operations and clients: each names a client of
// the scenario, and each can be written to a file and read back as itself.
void expectation_problems(const Scenario& s, std::vector<std::string>& problems) {
  std::set<std::string_view> clients;
  for (const ClientSpec& c : s.clients) clients.insert(c.name);
  for (const auto& [ref, expected] : s.expect_steps) {
    const std::string at = "expect.steps." + toml_key(text_of(ref));
    if (!clients.contains(ref.client)) problems.push_back(fmt::format("{}: no client named '{}'", at, ref.client));
    if (const std::string why = step_expectation_problem(ref, expected); !why.empty()) {
      problems.push_back(fmt::format("{}: {}", at, why));
    }
  }
  for (const auto& [client, e] : s.expect_clients) {
    const std::string at = "expect." + toml_key(client);
    if (!clients.contains(client)) problems.push_back(fmt::format("{}: no client named '{}'", at, client));
    if (is_checker(client) || client == "steps") {
      problems.push_back(fmt::format("{}: a client named like a checker or \"steps\" cannot have "
                                     "[expect.<client>] expectations (the file would read them as those)",
                                     at));
    }
    if (e.acquired_by && *e.acquired_by < sim::TrueTime{}) {
      problems.push_back(at + ".acquired_by: must not be negative");
    }
    if (e.min_grants && *e.min_grants < 1) {
      problems.push_back(fmt::format("{}.min_grants: must be at least 1, got {}", at, *e.min_grants));
    }
    if (e.max_wait && *e.max_wait < sim::Duration::zero()) problems.push_back(at + ".max_wait: must not be negative");
  }
}

}  // namespace

std::string_view name_of(Algorithm algorithm) {
  for (const auto& [a, name] : kAlgorithmNames) {
    if (a == algorithm) return name;
  }
  return "?";
}

std::optional<Algorithm> algorithm_named(std::string_view name) {
  for (const auto& [a, n] : kAlgorithmNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}

lock::LockOptions AlgorithmSpec::lock_options() const {
  lock::LockOptions o;
  o.ttl = ttl;
  // Exact: validate() rounds drift_factor * 1e6 back to this integer.
  o.drift_factor = static_cast<double>(drift_ppm) / 1e6;
  o.quorum = quorum;
  o.node_timeout = node_timeout;
  o.retry = {.count = retry_count, .delay = retry_delay, .jitter = retry_jitter};
  o.fencing = fencing;
  o.return_early = return_early;
  return o;
}

std::vector<std::string> redis_node_names(const Scenario& s) {
  std::vector<std::string> names;
  for (const MasterSpec& m : s.cluster.masters) {
    names.push_back(m.name);
    for (int i = 1; i <= m.replicas; ++i) names.push_back(fmt::format("{}-replica-{}", m.name, i));
  }
  return names;
}

std::vector<std::string> process_names(const Scenario& s) {
  std::vector<std::string> names = redis_node_names(s);
  names.push_back(s.storage.name);
  for (const ClientSpec& c : s.clients) names.push_back(c.name);
  return names;
}

std::optional<sim::ProcessId> process_named(const Scenario& s, std::string_view name) {
  const std::vector<std::string> names = process_names(s);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<sim::ProcessId>(i);
  }
  return std::nullopt;
}

std::vector<std::string> lock_names(const Scenario& s) {
  std::vector<std::string> names;
  for (const LockSpec& l : s.locks) names.push_back(l.name);
  return names;
}

std::vector<std::size_t> lock_masters(const Scenario& s, const AlgorithmSpec& algorithm,
                                      const std::vector<std::string>& masters) {
  std::vector<std::size_t> indexes;
  if (masters.empty()) {
    const std::size_t n = algorithm.kind == Algorithm::redlock ? s.cluster.masters.size()
                                                               : std::min<std::size_t>(1, s.cluster.masters.size());
    for (std::size_t i = 0; i < n; ++i) indexes.push_back(i);
    return indexes;
  }
  for (const std::string& name : masters) {
    for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) {
      if (s.cluster.masters[i].name == name) indexes.push_back(i);
    }
  }
  return indexes;
}

sim::ProcessId master_id(const Scenario& s, std::size_t index) {
  std::size_t id = 0;
  for (std::size_t i = 0; i < index; ++i) {
    id += 1 + static_cast<std::size_t>(std::max(0, s.cluster.masters[i].replicas));
  }
  return static_cast<sim::ProcessId>(id);
}

sim::ProcessId storage_id(const Scenario& s) {
  return static_cast<sim::ProcessId>(s.cluster.masters.size() + replica_count(s));
}

sim::ProcessId client_id(const Scenario& s, std::size_t index) {
  return static_cast<sim::ProcessId>(sim::index_of(storage_id(s)) + 1 + index);
}

bool needs_format_2(const Scenario& s) {
  return !s.cluster.presets.empty() || !s.cluster.links.empty() || !s.locks.empty() || !s.expect_steps.empty() ||
         !s.expect_clients.empty() ||
         s.algorithm.fan_out != lock::FanOutMode::parallel ||
         std::any_of(s.clients.begin(), s.clients.end(),
                     [](const ClientSpec& c) { return c.normalized().steps.has_value(); });
}

namespace {

// Preset keys on named Redis nodes, and per-link latencies between named
// processes, each pair once.
void cluster_extras_problems(const Scenario& s, const std::vector<std::string>& redis_nodes,
                             const std::vector<std::string>& names,
                             const std::function<void(std::string)>& problem) {
  for (std::size_t i = 0; i < s.cluster.presets.size(); ++i) {
    const PresetSpec& p = s.cluster.presets[i];
    const std::string at = fmt::format("cluster.presets[{}]", i);
    if (std::find(redis_nodes.begin(), redis_nodes.end(), p.node) == redis_nodes.end()) {
      problem(fmt::format("{}.node: no Redis node named '{}'", at, p.node));
    }
    if (p.key.empty()) problem(at + ".key: must not be empty");
    if (p.ttl && p.ttl->count() <= 0) problem(fmt::format("{}.ttl: must be positive, got {} ms", at, p.ttl->count()));
  }
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < s.cluster.links.size(); ++i) {
    const LinkSpec& l = s.cluster.links[i];
    const std::string at = fmt::format("cluster.links[{}]", i);
    for (const std::string* end : {&l.a, &l.b}) {
      if (std::find(names.begin(), names.end(), *end) == names.end()) {
        problem(fmt::format("{}.between: no process named '{}'", at, *end));
      }
    }
    if (l.a == l.b) problem(fmt::format("{}.between: a link joins two different processes, got '{}' twice", at, l.a));
    const auto [it, fresh] = seen.emplace(std::minmax(l.a, l.b), i);
    if (!fresh && l.a != l.b) {
      problem(fmt::format("{}.between: the link between '{}' and '{}' is already given, by link {}", at, l.a,
                          l.b, it->second));
    }
    if (const std::string why = sim::validate(l.latency); !why.empty()) problem(at + ".latency: " + why);
  }
}

}  // namespace

std::vector<std::string> validate(const Scenario& s) {
  std::vector<std::string> problems;
  const auto problem = [&](std::string text) { problems.push_back(std::move(text)); };

  if (s.duration <= sim::Duration::zero()) {
    problem(fmt::format("duration: must be positive, got {}", sim::format_duration(s.duration)));
  }
  if (s.cluster.masters.empty()) problem("cluster.masters: at least one master is needed");
  if (const std::string why = sim::validate(s.cluster.latency); !why.empty()) {
    problem("cluster.latency: " + why);
  }
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) {
    const MasterSpec& m = s.cluster.masters[i];
    if (m.replicas < 0) problem(fmt::format("cluster.masters[{}].replicas: must not be negative, got {}", i, m.replicas));
    if (m.restart_delay < sim::Duration::zero()) {
      problem(fmt::format("cluster.masters[{}].restart_delay: must not be negative", i));
    }
    if (m.load_time < std::chrono::milliseconds::zero()) {
      problem(fmt::format("cluster.masters[{}].load_time: must not be negative", i));
    }
  }
  if (s.clients.empty()) problem("clients: at least one client is needed");
  const std::vector<std::string> redis_nodes = redis_node_names(s);
  const std::vector<std::string> locks = lock_names(s);
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    const sim::ClientWorkload& w = s.clients[i].workload;
    const std::string at = fmt::format("clients[{}]", i);
    if (s.clients[i].steps) {
      for (std::string& p : steps_problems(*s.clients[i].steps, redis_nodes, locks, at + ".steps")) {
        problem(std::move(p));
      }
      if (std::string why = step_count_problem(*s.clients[i].steps); !why.empty()) problem(at + ".steps: " + why);
      continue;
    }
    if (w.key.empty()) problem(at + ".key: must not be empty");
    if (w.iterations < 0) problem(fmt::format("{}.iterations: must not be negative, got {}", at, w.iterations));
    if (w.writes < 0) problem(fmt::format("{}.writes: must not be negative, got {}", at, w.writes));
    if (w.acquire_timeout <= sim::Duration::zero()) problem(at + ".acquire_timeout: must be positive");
    if (w.write_timeout <= sim::Duration::zero()) problem(at + ".write_timeout: must be positive");
    if (w.hold < sim::Duration::zero() || w.think < sim::Duration::zero() ||
        w.start_after < sim::Duration::zero()) {
      problem(at + ": hold, think and start_after must not be negative");
    }
  }

  // Names: unique across every process, never empty.
  std::set<std::string> seen;
  const std::vector<std::string> names = process_names(s);
  for (const std::string& name : names) {
    if (name.empty()) {
      problem("a process name is empty");
    } else if (!seen.insert(name).second) {
      problem(fmt::format("'{}' names two processes", name));
    }
  }

  cluster_extras_problems(s, redis_nodes, names, problem);

  // Each lock's own rules (quorum, ttl, drift, timeouts), as the lock
  // constructor would throw them.
  const auto algorithm_problems = [&](const AlgorithmSpec& a, std::size_t nodes, const std::string& at) {
    if (a.drift_ppm < 0 || a.drift_ppm >= 1'000'000) {
      problem(fmt::format("{}.drift_factor: must be in [0, 1), got {} ppm", at, a.drift_ppm));
    } else if (!s.cluster.masters.empty()) {
      try {
        (void)lock::validate(a.lock_options(), nodes, at);
      } catch (const lock::ConfigError& e) {
        problem(e.what());
      }
    }
  };
  algorithm_problems(s.algorithm, lock_masters(s, s.algorithm, {}).size(), "algorithm");
  std::set<std::string> lock_seen;
  for (std::size_t i = 0; i < s.locks.size(); ++i) {
    const LockSpec& l = s.locks[i];
    const std::string at = fmt::format("locks[{}]", i);
    if (l.name.empty()) problem(at + ".name: must not be empty");
    if (!lock_seen.insert(l.name).second) problem(fmt::format("{}.name: '{}' names two locks", at, l.name));
    std::set<std::string> used;
    for (const std::string& m : l.masters) {
      if (std::none_of(s.cluster.masters.begin(), s.cluster.masters.end(),
                       [&](const MasterSpec& spec) { return spec.name == m; })) {
        problem(fmt::format("{}.masters: no master named '{}'", at, m));
      } else if (!used.insert(m).second) {
        problem(fmt::format("{}.masters: '{}' is named twice", at, m));
      }
    }
    if (l.algorithm.kind != Algorithm::redlock && l.masters.size() > 1) {
      problem(fmt::format("{}.masters: a {} lock runs on one master, got {}", at, name_of(l.algorithm.kind),
                          l.masters.size()));
    }
    algorithm_problems(l.algorithm, lock_masters(s, l.algorithm, l.masters).size(), at);
  }

  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const sim::Fault& f = s.faults[i];
    if (f.at < sim::TrueTime{}) problem(fmt::format("faults[{}].at: must not be negative", i));
    if (const std::string why = sim::problem_of(f.action); !why.empty()) {
      problem(fmt::format("faults[{}].{}", i, why));
    }
    for (const sim::ProcessId p : processes_of(f.action)) {
      if (sim::index_of(p) >= names.size()) {
        problem(fmt::format("faults[{}]: process {} does not exist (the world has {})", i,
                            sim::index_of(p), names.size()));
      }
    }
  }
  for (std::size_t i = 0; i < s.failovers.size(); ++i) {
    const Failover& f = s.failovers[i];
    const auto it = std::find_if(s.cluster.masters.begin(), s.cluster.masters.end(),
                                 [&](const MasterSpec& m) { return m.name == f.master; });
    if (it == s.cluster.masters.end()) {
      problem(fmt::format("failovers[{}].master: no master named '{}'", i, f.master));
    } else if (it->replicas < 1) {
      problem(fmt::format("failovers[{}].master: '{}' has no replica to promote", i, f.master));
    }
  }
  for (const auto& [checker, kind] : s.expect) {
    if (!is_checker(checker)) problem(fmt::format("expect.{}: no such checker", checker));
  }
  expectation_problems(s, problems);
  return problems;
}

}  // namespace locklab::scenarios
