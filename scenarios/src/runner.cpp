// Builds, runs and judges one scenario's world.
#include "locklab/scenarios/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <variant>

#include "judge.hpp"
#include "locklab/lock/naive.hpp"
#include "locklab/lock/redlock.hpp"
#include "locklab/scenarios/sim_step_environment.hpp"
#include "locklab/scenarios/step_interpreter.hpp"
#include "locklab/sim/history_recorder.hpp"
#include "locklab/sim/lock_backend.hpp"
#include "locklab/sim/redis/deployment.hpp"

namespace locklab::scenarios {

namespace {

// Everything the world's processes reach by reference; it outlives the run.
struct WorldParts {
  explicit WorldParts(sim::WorldConfig config, sim::redis::DeploymentOptions deployment)
      : world(std::move(config)), redis(world, deployment), log(std::make_shared<history::StorageLog>()) {}

  sim::World world;
  sim::redis::Deployment redis;
  std::shared_ptr<history::StorageLog> log;
  history::History history;
  std::vector<sim::LockNode> nodes;  // logical names, in master order
};

using SimNaive = lock::NaiveLock<sim::LockBackend>;
using SimSingle = lock::SingleNodeLock<sim::LockBackend>;
using SimRed = lock::RedLock<sim::LockBackend>;
using AnySimLock = std::variant<SimNaive, SimSingle, SimRed>;

// Builds a lock of the spec's kind on `backend`'s nodes `nodes` (indexes
// into the backend's; empty: the backend's own default).
std::unique_ptr<AnySimLock> make_lock(sim::LockBackend& backend, const AlgorithmSpec& algorithm,
                                      std::vector<std::size_t> nodes) {
  const lock::LockOptions options = algorithm.lock_options();
  const std::size_t first = nodes.empty() ? 0 : nodes.front();
  switch (algorithm.kind) {
    case Algorithm::naive:
    case Algorithm::naive_setnx:
      return std::make_unique<AnySimLock>(std::in_place_type<SimNaive>, backend, options,
                                          algorithm.kind == Algorithm::naive ? lock::NaiveVariant::set_nx_px
                                                                             : lock::NaiveVariant::setnx_pexpire,
                                          first);
    case Algorithm::single_node:
      return std::make_unique<AnySimLock>(std::in_place_type<SimSingle>, backend, options, first);
    case Algorithm::redlock:
      return std::make_unique<AnySimLock>(std::in_place_type<SimRed>, backend, options, std::move(nodes));
  }
  LOCKLAB_ASSERT(false, "an algorithm without a lock");
  return nullptr;
}

// One client's state: its locks on their backends, its storage client, its
// step environment and interpreter. The tasks its backends spawn (watchdogs,
// lock managers' contenders, waiters) keep it alive until they finish: a
// killed client's fibers unwind one by one, and one woken while its client's
// main fiber unwinds still runs until its next blocking call.
struct ClientRun {
  ClientRun(sim::Process& p, WorldParts& parts, std::vector<sim::LockNode> own_nodes, lock::FanOutMode fan_out,
            sim::ProcessId storage)
      : own_backend(p, std::move(own_nodes), {.fan_out = fan_out}), store(p, storage), env(p, parts.history, &store) {}

  sim::LockBackend own_backend;
  std::vector<std::unique_ptr<sim::LockBackend>> named_backends;  // one per named lock used: its fan-out
  std::vector<std::unique_ptr<AnySimLock>> locks;
  sim::StorageClient store;
  SimStepEnvironment env;
  std::optional<StepInterpreter<SimStepEnvironment, SimNaive, SimSingle, SimRed>> interpreter;
};

// Runs one client: the scenario's own lock on a backend of its masters (as
// every client has since format 1), and each named lock its steps use on a
// backend of every master, with that lock's fan-out.
void run_client(const Scenario& s, const std::vector<Step>& steps, sim::Process& p, WorldParts& parts,
                sim::ProcessId storage) {
  std::vector<sim::LockNode> own_nodes = parts.nodes;
  own_nodes.resize(lock_masters(s, s.algorithm, {}).size());
  const std::vector<std::string> used = locks_used(steps);
  const auto run = std::make_shared<ClientRun>(p, parts, std::move(own_nodes), s.algorithm.fan_out, storage);
  run->own_backend.keep_alive_while_tasks_run(run);
  run->locks.push_back(make_lock(run->own_backend, s.algorithm, {}));
  LockTable<SimNaive, SimSingle, SimRed> table;
  const auto enter = [&table](const std::string& name, AnySimLock& l) {
    std::visit([&](auto& lock) { table.emplace(name, &lock); }, l);
  };
  enter("", *run->locks.front());
  for (const LockSpec& spec : s.locks) {
    if (!std::binary_search(used.begin(), used.end(), spec.name)) continue;
    run->named_backends.push_back(
        std::make_unique<sim::LockBackend>(p, parts.nodes, sim::LockBackendOptions{.fan_out = spec.algorithm.fan_out}));
    run->named_backends.back()->keep_alive_while_tasks_run(run);
    run->locks.push_back(
        make_lock(*run->named_backends.back(), spec.algorithm, lock_masters(s, spec.algorithm, spec.masters)));
    enter(spec.name, *run->locks.back());
  }
  run->interpreter.emplace(run->env, std::move(table));
  run->interpreter->run(steps);
  // Done: the interpreter stops its watchdog and managers now, as a client
  // leaving its scope would (a kill instead leaves that to the last task).
  run->interpreter.reset();
}

sim::ProcessSpec client_process(const Scenario& s, const ClientSpec& c, WorldParts& parts,
                                sim::ProcessId storage) {
  return {.name = c.name, .clock = c.clock,
          .main = [&parts, storage, &s, steps = c.effective_steps()](sim::Process& p) {
            run_client(s, steps, p, parts, storage);
          }};
}

// The preset keys of the Redis node named `node`, in the scenario's order.
std::vector<sim::redis::PresetKey> presets_of(const Scenario& s, const std::string& node) {
  std::vector<sim::redis::PresetKey> keys;
  for (const PresetSpec& p : s.cluster.presets) {
    if (p.node == node) keys.push_back({.key = p.key, .value = p.value, .ttl = p.ttl});
  }
  return keys;
}

void build(const Scenario& s, WorldParts& parts) {
  for (const MasterSpec& m : s.cluster.masters) {
    sim::redis::ServerOptions server{.persistence = m.persistence, .restart_delay = m.restart_delay,
                                     .load_time = m.load_time, .clock = m.clock};
    sim::redis::ShardSpec shard{.name = m.name, .master = server, .replicas = m.replicas, .replica = server};
    shard.master.preset = presets_of(s, m.name);
    for (int i = 1; i <= m.replicas; ++i) {
      shard.replica_presets.push_back(presets_of(s, fmt::format("{}-replica-{}", m.name, i)));
    }
    parts.redis.add_shard(std::move(shard));
    parts.nodes.push_back({m.name, parts.redis.resolver(m.name)});
  }
  const sim::ProcessId storage =
      parts.world.add_process(sim::storage_service(s.storage.name, {.fenced = s.storage.fenced}, parts.log));
  for (const ClientSpec& c : s.clients) parts.world.add_process(client_process(s, c, parts, storage));

  // The layout every fault's ProcessId was written against.
  const std::vector<std::string> names = process_names(s);
  for (std::size_t i = 0; i < names.size(); ++i) {
    LOCKLAB_ASSERT_EQ(parts.world.find_process(names[i]).value_or(sim::kNoProcess),
                      static_cast<sim::ProcessId>(i));
  }
  for (const LinkSpec& l : s.cluster.links) {
    const sim::ProcessId a = *process_named(s, l.a);
    const sim::ProcessId b = *process_named(s, l.b);
    parts.world.network().set_latency(a, b, l.latency);
    parts.world.network().set_latency(b, a, l.latency);
  }
  parts.world.schedule(s.faults);
  for (const Failover& f : s.failovers) parts.redis.schedule_failover(f.at, f.master);
}

std::vector<history::FaultNote> notes_of(const Scenario& s, const sim::World& world) {
  std::vector<history::FaultNote> notes = sim::fault_notes(world, s.faults);
  for (const Failover& f : s.failovers) notes.push_back({f.at, "failover " + f.master});
  std::stable_sort(notes.begin(), notes.end(),
                   [](const history::FaultNote& a, const history::FaultNote& b) {
                     return a.at < b.at;
                   });
  return notes;
}

}  // namespace

std::string_view name_of(FindingKind kind) {
  switch (kind) {
    case FindingKind::world_failed: return "world_failed";
    case FindingKind::internal: return "internal";
    case FindingKind::safety: return "safety";
    case FindingKind::liveness: return "liveness";
  }
  return "?";
}

bool is_safety_checker(std::string_view checker) {
  return checker == "mutual_exclusion" || checker == "resource_safety" || checker == "token_hygiene";
}

bool RunReport::world_failed() const {
  return run.status == sim::RunStatus::failed || run.status == sim::RunStatus::budget_exhausted;
}

std::optional<FindingKind> RunReport::finding() const {
  if (world_failed()) return FindingKind::world_failed;
  std::optional<FindingKind> found;
  for (const properties::Verdict& v : verdicts) {
    if (v.kind != properties::Verdict::Kind::violation) continue;
    if (is_safety_checker(v.checker)) return FindingKind::safety;
    found = FindingKind::liveness;
  }
  return found;
}

const properties::Verdict* RunReport::verdict(std::string_view checker) const {
  for (const properties::Verdict& v : verdicts) {
    if (v.checker == checker) return &v;
  }
  return nullptr;
}

bool RunReport::any_violation() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const properties::Verdict& v) {
    return v.kind == properties::Verdict::Kind::violation;
  });
}

int RunReport::grants() const {
  int n = 0;
  for (const history::Operation& op : history.operations()) {
    n += op.kind == history::OpKind::acquire && op.status == history::OpStatus::ok;
  }
  return n;
}

RunReport run_scenario(const Scenario& s, const RunOptions& options) {
  if (const std::vector<std::string> problems = validate(s); !problems.empty()) {
    std::string text = "scenario '" + s.name + "' cannot run:";
    for (const std::string& p : problems) text += "\n  " + p;
    throw std::invalid_argument(text);
  }
  RunReport report;
  report.seed = options.seed.value_or(s.seed);
  sim::WorldConfig config{.seed = report.seed, .order = s.order,
                          .limits = {.max_events = options.max_events}, .latency = s.cluster.latency};
  config.trace.jsonl = options.trace_jsonl;
  auto parts = std::make_unique<WorldParts>(std::move(config),
                                            sim::redis::DeploymentOptions{.discovery_delay = s.cluster.discovery_delay});
  build(s, *parts);

  report.run = parts->world.run_until(sim::true_time(s.duration));
  sim::refresh_validity(parts->history, parts->world);
  report.trace_hash = parts->world.trace().hash();
  report.faults = notes_of(s, parts->world);
  report.inapplicable = parts->world.inapplicable_faults();
  report.storage = *parts->log;
  // A copy: the world's teardown (when `parts` goes) unwinds its fibers, and
  // a client task woken while its client unwinds may still record into the
  // history it was given before its next blocking call ends it.
  report.history = parts->history;
  report.verdicts = judge(s, report);
  return report;
}

std::optional<std::string> trace_hash_mismatch(const Scenario& s, const RunReport& report) {
  if (!s.trace_hash || *s.trace_hash == report.trace_hash) return std::nullopt;
  return fmt::format("trace hash: the file records {:016x}, this run gives {:016x}", *s.trace_hash,
                     report.trace_hash);
}

}  // namespace locklab::scenarios
