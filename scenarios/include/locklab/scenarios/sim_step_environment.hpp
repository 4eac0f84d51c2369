// locklab/scenarios/sim_step_environment.hpp — the step interpreter's
// environment for a client in a simulated world (step_interpreter.hpp).
//
// Time, sleeps and history stamps are the client process's; writes go to the
// world's storage service; a command step opens a connection of its own to
// the named node process (not the lock's pooled ones) and keeps it for the
// next command to that node; random holds draw from a stream forked for this
// client ("steps/<name>"), so drawing them moves no other stream.
//
// Not thread-safe: used by the one fiber of its client process.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "locklab/lock/detail/saturate.hpp"
#include "locklab/scenarios/step_interpreter.hpp"
#include "locklab/sim/history_recorder.hpp"
#include "locklab/sim/redis/resp.hpp"
#include "locklab/sim/rng.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/storage.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::scenarios {

class SimStepEnvironment {
 public:
  using time_point = sim::LocalTime;

  SimStepEnvironment(sim::Process& process, history::History& history, sim::StorageClient* storage)
      : process_(process), history_(history), storage_(storage) {}

  time_point now() const { return process_.now(); }
  void sleep_for(sim::Duration d) { (void)process_.sleep_for(d); }
  std::string name() const { return process_.name(); }
  bool has_storage() const { return storage_ != nullptr; }

  // `holder`: who in the client invokes it, when not the client itself (a
  // lock manager's waiter).
  // `deadline`: the call's own, when it takes one.
  std::uint64_t invoke(history::OpKind kind, std::string key, std::uint64_t grant, std::string holder = {},
                       std::optional<time_point> deadline = {}) {
    return sim::record_invoke(history_, process_, kind, std::move(key), grant, std::move(holder), deadline);
  }

  void complete(std::uint64_t id, history::OpStatus status, std::string words, std::optional<std::uint64_t> fence,
                std::optional<time_point> validity_end, std::optional<std::string> token) {
    sim::record_complete(history_, id, process_, status, std::move(words), fence, validity_end, std::move(token));
  }

  WriteOutcome write(std::uint64_t grant, std::optional<std::uint64_t> fence, std::string value,
                     sim::Duration timeout) {
    LOCKLAB_ASSERT(storage_ != nullptr, "a write without a storage service");
    const sim::SimResult<sim::WriteResult> r =
        storage_->write(grant, fence, std::move(value), lock::detail::add_saturating(process_.now(), timeout));
    if (!r) return {history::OpStatus::info, std::string(sim::name_of(r.error()))};
    return {*r == sim::WriteResult::accepted ? history::OpStatus::ok : history::OpStatus::fail,
            std::string(sim::name_of(*r))};
  }

  CommandOutcome command(const CommandStep& step) {
    const std::optional<sim::ProcessId> node = process_.world().find_process(step.node);
    LOCKLAB_ASSERT(node.has_value(), "a command step to a node the scenario does not have");
    std::unique_ptr<sim::redis::Client>& client = commands_[step.node];
    if (!client) client = std::make_unique<sim::redis::Client>(process_, *node);
    const sim::SimResult<sim::redis::Reply> reply =
        client->call(step.argv, lock::detail::add_saturating(process_.now(), step.timeout));
    if (!reply) return {false, std::string(sim::name_of(reply.error()))};
    return {true, sim::redis::to_display(*reply)};
  }

  // An instant operation of the harness (or of a component the client runs).
  void note(std::string key, std::uint64_t grant, std::string words, history::OpStatus status) {
    const std::uint64_t id = sim::record_invoke(history_, process_, history::OpKind::note, std::move(key), grant);
    sim::record_complete(history_, id, process_, status, std::move(words));
  }

  // The world's true time, for the harness's wait_until oracle only.
  sim::Duration true_elapsed() const { return process_.world().true_now().time_since_epoch(); }

  // Sleeps until the world's true time reaches `at`: to the local time the
  // clock is expected to read then, again if a clock change made that early.
  void sleep_until_true(sim::Duration at) {
    const sim::TrueTime target{at};
    while (process_.world().true_now() < target) {
      const sim::LocalTime local = process_.clock().local_at(target);
      if (local > process_.now()) {
        (void)process_.sleep_until(local);
      } else {
        (void)process_.sleep_for(std::chrono::microseconds(1));  // a clock stepped back: inch on
      }
    }
  }

  sim::Duration draw(sim::Duration min, sim::Duration max) {
    LOCKLAB_ASSERT_LE(min, max);
    if (!rng_) rng_.emplace(process_.world().fork_rng("steps/" + process_.name()));
    // 0 <= min <= max: the span fits, and so does span + 1.
    const auto span = static_cast<std::uint64_t>((max - min).count());
    return min + sim::Duration(static_cast<sim::Duration::rep>(rng_->below(span + 1)));
  }

 private:
  sim::Process& process_;
  history::History& history_;
  sim::StorageClient* storage_;
  std::map<std::string, std::unique_ptr<sim::redis::Client>> commands_;
  std::optional<sim::Rng> rng_;
};

}  // namespace locklab::scenarios
