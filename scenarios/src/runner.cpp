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

// Runs one client: the scenario's own lock on a backend of its masters (as
// every client has since format 1), and the named locks its steps use on a
// second backend of every master.
void run_client(const Scenario& s, const std::vector<Step>& steps, sim::Process& p, WorldParts& parts,
                sim::ProcessId storage) {
  std::vector<sim::LockNode> own_nodes = parts.nodes;
  own_nodes.resize(lock_masters(s, s.algorithm, {}).size());
  sim::LockBackend own_backend(p, std::move(own_nodes));
  std::vector<std::unique_ptr<AnySimLock>> locks;
  locks.push_back(make_lock(own_backend, s.algorithm, {}));
  LockTable<SimNaive, SimSingle, SimRed> table;
  const auto enter = [&table](const std::string& name, AnySimLock& l) {
    std::visit([&](auto& lock) { table.emplace(name, &lock); }, l);
  };
  enter("", *locks.front());
  const std::vector<std::string> used = locks_used(steps);
  std::optional<sim::LockBackend> all_backend;
  if (!used.empty()) all_backend.emplace(p, parts.nodes);
  for (const LockSpec& spec : s.locks) {
    if (!std::binary_search(used.begin(), used.end(), spec.name)) continue;
    locks.push_back(make_lock(*all_backend, spec.algorithm, lock_masters(s, spec.algorithm, spec.masters)));
    enter(spec.name, *locks.back());
  }
  sim::StorageClient store(p, storage);
  SimStepEnvironment env(p, parts.history, &store);
  run_steps(env, std::move(table), steps);
}

sim::ProcessSpec client_process(const Scenario& s, const ClientSpec& c, WorldParts& parts,
                                sim::ProcessId storage) {
  return {.name = c.name, .clock = c.clock,
          .main = [&parts, storage, &s, steps = c.effective_steps()](sim::Process& p) {
            run_client(s, steps, p, parts, storage);
          }};
}

void build(const Scenario& s, WorldParts& parts) {
  for (const MasterSpec& m : s.cluster.masters) {
    sim::redis::ServerOptions server{.persistence = m.persistence, .restart_delay = m.restart_delay,
                                     .load_time = m.load_time, .clock = m.clock};
    parts.redis.add_shard({.name = m.name, .master = server, .replicas = m.replicas, .replica = server});
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
  report.history = std::move(parts->history);
  report.verdicts = judge(s, report);
  return report;
}

std::optional<std::string> trace_hash_mismatch(const Scenario& s, const RunReport& report) {
  if (!s.trace_hash || *s.trace_hash == report.trace_hash) return std::nullopt;
  return fmt::format("trace hash: the file records {:016x}, this run gives {:016x}", *s.trace_hash,
                     report.trace_hash);
}

}  // namespace locklab::scenarios
