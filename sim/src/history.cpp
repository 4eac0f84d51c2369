// The history of a world's lock operations: recording, refreshing validity
// ends from the clocks' full history, and JSON Lines in both directions.
#include "locklab/sim/history.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "jsonl_fields.hpp"
#include "locklab/assert.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 4> kKindNames{{
    {OpKind::acquire, "acquire"},
    {OpKind::release, "release"},
    {OpKind::extend, "extend"},
    {OpKind::write, "write"},
}};
constexpr std::array<std::pair<OpStatus, std::string_view>, 4> kStatusNames{{
    {OpStatus::pending, "pending"},
    {OpStatus::ok, "ok"},
    {OpStatus::fail, "fail"},
    {OpStatus::info, "info"},
}};

template <typename E, std::size_t N>
std::string_view lookup_name(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> lookup_value(const std::array<std::pair<E, std::string_view>, N>& names,
                              std::string_view name) {
  for (const auto& [e, n] : names) {
    if (n == name) return e;
  }
  return std::nullopt;
}

constexpr std::string_view kWhat = "history";

jsonl::Json to_json(const Operation& op) {
  jsonl::Json j;
  j["id"] = op.id;
  if (op.client == kNoProcess) {
    j["client"] = nullptr;
  } else {
    j["client"] = index_of(op.client);
  }
  jsonl::put_bytes(j, "client_name", op.client_name);
  jsonl::put_bytes(j, "key", op.key);
  j["kind"] = name_of(op.kind);
  j["grant"] = op.grant;
  j["invoked_true_ns"] = nanos(op.invoked_true);
  j["invoked_local_ns"] = nanos(op.invoked_local);
  j["status"] = name_of(op.status);
  j["completed_true_ns"] = nanos(op.completed_true);
  j["completed_local_ns"] = nanos(op.completed_local);
  jsonl::put_bytes(j, "outcome", op.outcome);
  if (op.fencing_token) j["fencing_token"] = *op.fencing_token;
  if (op.lock_token) jsonl::put_bytes(j, "lock_token", *op.lock_token);
  if (op.validity_end_local) j["validity_end_local_ns"] = nanos(*op.validity_end_local);
  if (op.validity_end_true) j["validity_end_true_ns"] = nanos(*op.validity_end_true);
  return j;
}

Operation from_json(const jsonl::Fields& f, const jsonl::Json& object) {
  Operation op;
  op.id = f.u64("id");
  if (op.id == 0) f.fail("id", "must be at least 1");
  if (!object.contains("client")) f.fail("client", "missing");
  if (!object["client"].is_null()) {
    const std::uint64_t client = f.u64("client");
    if (client >= index_of(kNoProcess)) f.fail("client", "not a process index");
    op.client = ProcessId{static_cast<std::uint32_t>(client)};
  }
  op.client_name = f.bytes("client_name");
  op.key = f.bytes("key");
  const std::string kind = f.text("kind");
  const std::optional<OpKind> k = op_kind_named(kind);
  if (!k) f.fail("kind", "expected acquire, release, extend or write, got \"" + kind + "\"");
  op.kind = *k;
  op.grant = f.u64("grant");
  op.invoked_true = true_time(Duration{f.i64("invoked_true_ns")});
  op.invoked_local = local_time(Duration{f.i64("invoked_local_ns")});
  const std::string status = f.text("status");
  const std::optional<OpStatus> s = op_status_named(status);
  if (!s) f.fail("status", "expected pending, ok, fail or info, got \"" + status + "\"");
  op.status = *s;
  op.completed_true = true_time(Duration{f.i64("completed_true_ns")});
  op.completed_local = local_time(Duration{f.i64("completed_local_ns")});
  if (op.status != OpStatus::pending && op.completed_true < op.invoked_true) {
    f.fail("completed_true_ns", "precedes invoked_true_ns");
  }
  op.outcome = f.bytes("outcome");
  op.fencing_token = f.optional_u64("fencing_token");
  // Absent in histories written before lock tokens were recorded.
  if (object.contains("lock_token") || object.contains("lock_token_hex")) {
    op.lock_token = f.bytes("lock_token");
  }
  if (auto v = f.optional_i64("validity_end_local_ns")) op.validity_end_local = local_time(Duration{*v});
  if (auto v = f.optional_i64("validity_end_true_ns")) op.validity_end_true = true_time(Duration{*v});
  return op;
}

}  // namespace

std::string_view name_of(OpKind kind) { return lookup_name(kKindNames, kind); }
std::string_view name_of(OpStatus status) { return lookup_name(kStatusNames, status); }
std::optional<OpKind> op_kind_named(std::string_view name) { return lookup_value(kKindNames, name); }
std::optional<OpStatus> op_status_named(std::string_view name) {
  return lookup_value(kStatusNames, name);
}

std::vector<FaultNote> fault_notes(const World& world, const FaultSchedule& schedule) {
  std::vector<FaultNote> notes;
  notes.reserve(schedule.size());
  for (const Fault& f : schedule) notes.push_back({f.at, world.describe(f.action)});
  return notes;
}

std::uint64_t History::invoke(Process& client, OpKind kind, std::string key, std::uint64_t grant) {
  Operation op;
  op.client = client.id();
  op.client_name = client.name();
  op.key = std::move(key);
  op.kind = kind;
  op.grant = grant;
  op.invoked_true = client.world().true_now();
  op.invoked_local = client.now();
  const std::uint64_t id = next_id_;
  op.id = id;
  append(std::move(op));
  return id;
}

void History::complete(std::uint64_t id, Process& client, OpStatus status, std::string outcome,
                       std::optional<std::uint64_t> fencing_token,
                       std::optional<LocalTime> validity_end,
                       std::optional<std::string> lock_token) {
  Operation& op = at_mutable(id);
  LOCKLAB_ASSERT(op.status == OpStatus::pending, "operation ", id, " completed twice");
  LOCKLAB_ASSERT(status != OpStatus::pending, "operation ", id, " completed as pending");
  LOCKLAB_ASSERT(op.client == client.id(), "operation ", id, " invoked by ", op.client,
                 ", completed by ", client.id());
  const World& world = client.world();
  op.status = status;
  op.completed_true = world.true_now();
  op.completed_local = client.now();
  op.outcome = std::move(outcome);
  op.fencing_token = fencing_token;
  op.lock_token = std::move(lock_token);
  if (op.kind == OpKind::acquire && status == OpStatus::ok) op.grant = op.id;
  if (validity_end) {
    op.validity_end_local = *validity_end;
    op.validity_end_true = world.true_time_reaching(client.id(), *validity_end, op.completed_true);
  }
}

void History::refresh_validity(const World& world) {
  for (Operation& op : ops_) {
    if (!op.validity_end_local || op.client == kNoProcess) continue;
    op.validity_end_true =
        world.true_time_reaching(op.client, *op.validity_end_local, op.completed_true);
  }
}

const Operation& History::at(std::uint64_t id) const {
  const auto it = index_.find(id);
  LOCKLAB_ASSERT(it != index_.end(), "no operation ", id, " in the history");
  return ops_[it->second];
}

Operation& History::at_mutable(std::uint64_t id) {
  const auto it = index_.find(id);
  LOCKLAB_ASSERT(it != index_.end(), "no operation ", id, " in the history");
  return ops_[it->second];
}

void History::append(Operation op) {
  if (op.id == 0) op.id = next_id_;
  LOCKLAB_ASSERT(!index_.contains(op.id), "operation id ", op.id, " is already in the history");
  index_.emplace(op.id, ops_.size());
  next_id_ = std::max(next_id_, op.id + 1);
  ops_.push_back(std::move(op));
}

std::string History::to_jsonl() const {
  std::string out;
  for (const Operation& op : ops_) {
    out += to_json(op).dump();
    out += '\n';
  }
  return out;
}

History History::from_jsonl(std::string_view text) {
  History history;
  jsonl::for_each_line(kWhat, text, [&](std::size_t line, const jsonl::Json& object) {
    const jsonl::Fields fields(kWhat, line, object);
    Operation op = from_json(fields, object);
    if (history.contains(op.id)) {
      fields.fail("id", fmt::format("{} appears twice", op.id));
    }
    history.append(std::move(op));
  });
  return history;
}

}  // namespace locklab::sim
