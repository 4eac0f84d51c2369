// A History as Jepsen-style EDN: invoke and completion maps in time order.
#include "locklab/history/edn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <vector>

namespace locklab::history {

namespace {

// An EDN string literal. Keys are bytes; printable text passes through,
// quotes, backslashes and control characters are escaped as Clojure reads
// them. Bytes at or above 0x80 pass through (UTF-8 text stays readable).
std::string edn_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string process_of(const Operation& op) {
  return op.client == kNoProcess ? "nil" : std::to_string(index_of(op.client));
}

std::string completion_value(const Operation& op) {
  std::vector<std::string> fields;
  if (op.grant != 0) fields.push_back(fmt::format(":grant {}", op.grant));
  if (op.fencing_token) fields.push_back(fmt::format(":fencing-token {}", *op.fencing_token));
  if (op.lock_token) fields.push_back(":lock-token " + edn_string(*op.lock_token));
  if (fields.empty()) return "nil";
  std::string out = "{";
  for (std::size_t i = 0; i < fields.size(); ++i) out += (i == 0 ? "" : ", ") + fields[i];
  return out + "}";
}

std::string invoke_map(const Operation& op) {
  const std::string value =
      op.kind == OpKind::acquire || op.grant == 0 ? "nil" : std::to_string(op.grant);
  return fmt::format("{{:type :invoke, :f :{}, :process {}, :time {}, :key {}, :value {}}}",
                     name_of(op.kind), process_of(op), nanos(op.invoked_true), edn_string(op.key),
                     value);
}

std::string completion_map(const Operation& op) {
  std::string out = fmt::format("{{:type :{}, :f :{}, :process {}, :time {}, :key {}, :value {}",
                                name_of(op.status), name_of(op.kind), process_of(op),
                                nanos(op.completed_true), edn_string(op.key),
                                completion_value(op));
  if (op.status == OpStatus::fail || op.status == OpStatus::info) {
    out += ", :error " + edn_string(op.outcome);
  }
  return out + "}";
}

struct Event {
  TrueTime at;
  std::uint64_t id;
  int phase;  // 0 invoke, 1 completion: an op's own invoke comes first
  const Operation* op;
};

}  // namespace

std::string to_edn(const History& history) {
  std::vector<Event> events;
  events.reserve(2 * history.operations().size());
  for (const Operation& op : history.operations()) {
    events.push_back({op.invoked_true, op.id, 0, &op});
    if (op.status != OpStatus::pending) events.push_back({op.completed_true, op.id, 1, &op});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.at, a.id, a.phase) < std::tie(b.at, b.id, b.phase);
  });
  std::string out;
  for (const Event& e : events) {
    out += e.phase == 0 ? invoke_map(*e.op) : completion_map(*e.op);
    out += '\n';
  }
  return out;
}

}  // namespace locklab::history
