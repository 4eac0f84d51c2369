// tests/lock/scenario.hpp — a whole lock scenario in one world: Redis
// masters, the protected storage, lock clients running a shorthand workload
// through a real lockimpl algorithm (by the step interpreter), faults, and
// both checkers at the end.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "locklab/lock/naive.hpp"
#include "locklab/lock/redlock.hpp"
#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"
#include "locklab/sim/history_recorder.hpp"
#include "locklab/sim/lock_backend.hpp"
#include "locklab/scenarios/sim_step_environment.hpp"
#include "locklab/scenarios/step_interpreter.hpp"
#include "locklab/scenarios/steps.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/storage.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::testing {

enum class Algorithm { naive, single_node, redlock };

struct Scenario {
  Scenario(int masters, bool fenced_storage, sim::redis::ServerOptions server = {},
           sim::WorldConfig config = {})
      : world(std::move(config)), log(std::make_shared<history::StorageLog>()) {
    for (int i = 0; i < masters; ++i) {
      redis.push_back(world.add_process(sim::redis::redis_server("redis-" + std::to_string(i), server)));
    }
    storage = world.add_process(sim::storage_service("storage", {.fenced = fenced_storage}, log));
  }

  sim::ProcessId client(std::string name, Algorithm algorithm, lock::LockOptions options,
                        sim::ClientWorkload workload, sim::ClockSpec clock = {}) {
    return world.add_process(
        {.name = std::move(name), .clock = clock,
         .main = [this, algorithm, options, workload](sim::Process& p) {
           sim::LockBackend backend = named.empty() ? sim::LockBackend(p, redis)
                                                    : sim::LockBackend(p, named);
           sim::StorageClient store(p, storage);
           scenarios::SimStepEnvironment env(p, history, &store);
           const std::vector<scenarios::Step> steps = scenarios::steps_of(workload);
           if (algorithm == Algorithm::naive) {
             lock::NaiveLock<sim::LockBackend> l(backend, options);
             scenarios::run_steps(env, l, steps);
           } else if (algorithm == Algorithm::single_node) {
             lock::SingleNodeLock<sim::LockBackend> l(backend, options);
             scenarios::run_steps(env, l, steps);
           } else {
             lock::RedLock<sim::LockBackend> l(backend, options);
             scenarios::run_steps(env, l, steps);
           }
         }});
  }

  void fault(sim::Duration at, sim::FaultAction action) {
    faults.push_back({sim::true_time(at), action});
    world.schedule(faults.back());
  }

  // Runs to `until`, then judges the history.
  void run(sim::Duration until) {
    result = world.run_until(sim::true_time(until));
    sim::refresh_validity(history, world);
    const std::vector<history::FaultNote> notes = sim::fault_notes(world, faults);
    mutual_exclusion = properties::check_mutual_exclusion(history, notes);
    resource_safety = properties::check_resource_safety(history, *log, notes);
  }

  // How many grants (acquire ok) the history holds.
  int grants() const {
    int n = 0;
    for (const history::Operation& op : history.operations()) {
      n += op.kind == history::OpKind::acquire && op.status == history::OpStatus::ok;
    }
    return n;
  }
  int writes(bool accepted) const {
    int n = 0;
    for (const history::StorageWrite& w : log->writes()) n += w.accepted == accepted;
    return n;
  }

  sim::World world;
  std::vector<sim::ProcessId> redis;
  std::vector<sim::LockNode> named;  // when set, clients reach these instead (logical names)
  sim::ProcessId storage{};
  std::shared_ptr<history::StorageLog> log;
  history::History history;
  sim::FaultSchedule faults;
  sim::RunResult result;
  properties::Verdict mutual_exclusion;
  properties::Verdict resource_safety;
};

inline bool violated(const properties::Verdict& v) { return v.kind == properties::Verdict::Kind::violation; }
inline bool ok(const properties::Verdict& v) { return v.kind == properties::Verdict::Kind::ok; }

}  // namespace locklab::testing
