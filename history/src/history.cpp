// The history of a run's lock operations: the container, completion, and
// JSON Lines in both directions.
#include "locklab/history/history.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "jsonl_fields.hpp"
#include "locklab/assert.hpp"

namespace locklab::history {

namespace {

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
  if (op.deadline_local) j["deadline_local_ns"] = nanos(*op.deadline_local);
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
  if (auto v = f.optional_i64("deadline_local_ns")) op.deadline_local = local_time(Duration{*v});
  return op;
}

}  // namespace

std::uint64_t History::append(Operation op) {
  if (op.id == 0) op.id = next_id_;
  LOCKLAB_ASSERT(!index_.contains(op.id), "operation id ", op.id, " is already in the history");
  const std::uint64_t id = op.id;
  index_.emplace(id, ops_.size());
  next_id_ = std::max(next_id_, id + 1);
  ops_.push_back(std::move(op));
  return id;
}

void History::complete(std::uint64_t id, Completion done) {
  Operation& op = at_mutable(id);
  LOCKLAB_ASSERT(op.status == OpStatus::pending, "operation ", id, " completed twice");
  LOCKLAB_ASSERT(done.status != OpStatus::pending, "operation ", id, " completed as pending");
  op.status = done.status;
  op.completed_true = done.completed_true;
  op.completed_local = done.completed_local;
  op.outcome = std::move(done.outcome);
  op.fencing_token = done.fencing_token;
  op.lock_token = std::move(done.lock_token);
  if (op.kind == OpKind::acquire && done.status == OpStatus::ok) op.grant = op.id;
  if (done.validity_end_local) {
    op.validity_end_local = done.validity_end_local;
    op.validity_end_true = done.validity_end_true;
  }
}

void History::set_validity_end_true(std::uint64_t id, TrueTime end) {
  Operation& op = at_mutable(id);
  LOCKLAB_ASSERT(op.validity_end_local.has_value(), "operation ", id,
                 " has no validity end to place in true time");
  op.validity_end_true = end;
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

}  // namespace locklab::history
