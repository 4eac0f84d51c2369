// Recording a world's lock operations: stamping them with the world's true
// time and the process's local time, and placing validity ends in true time.
#include "locklab/sim/history_recorder.hpp"

#include <utility>

#include "locklab/assert.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

std::uint64_t record_invoke(History& history, Process& client, OpKind kind, std::string key,
                            std::uint64_t grant, std::string holder, std::optional<LocalTime> deadline) {
  Operation op;
  op.client = client.id();
  op.client_name = holder.empty() ? client.name() : std::move(holder);
  op.key = std::move(key);
  op.kind = kind;
  op.grant = grant;
  op.invoked_true = client.world().true_now();
  op.invoked_local = client.now();
  op.deadline_local = deadline;
  return history.append(std::move(op));
}

void record_complete(History& history, std::uint64_t id, Process& client, OpStatus status,
                     std::string outcome, std::optional<std::uint64_t> fencing_token,
                     std::optional<LocalTime> validity_end,
                     std::optional<std::string> lock_token) {
  const Operation& op = history.at(id);
  LOCKLAB_ASSERT(op.client == client.id(), "operation ", id, " invoked by ", op.client,
                 ", completed by ", client.id());
  const World& world = client.world();
  history::Completion done{.status = status,
                           .completed_true = world.true_now(),
                           .completed_local = client.now(),
                           .outcome = std::move(outcome),
                           .fencing_token = fencing_token,
                           .lock_token = std::move(lock_token)};
  if (validity_end) {
    done.validity_end_local = *validity_end;
    done.validity_end_true =
        world.true_time_reaching(client.id(), *validity_end, done.completed_true);
  }
  history.complete(id, std::move(done));
}

void refresh_validity(History& history, const World& world) {
  for (const Operation& op : history.operations()) {
    if (!op.validity_end_local || op.client == kNoProcess) continue;
    history.set_validity_end_true(
        op.id, world.true_time_reaching(op.client, *op.validity_end_local, op.completed_true));
  }
}

std::vector<FaultNote> fault_notes(const World& world, const FaultSchedule& schedule) {
  std::vector<FaultNote> notes;
  notes.reserve(schedule.size());
  for (const Fault& f : schedule) notes.push_back({f.at, world.describe(f.action)});
  return notes;
}

}  // namespace locklab::sim
