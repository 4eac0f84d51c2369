// Grants and belief intervals as every checker sees them; verdict helpers.
#include "locklab/properties/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace locklab::properties {

namespace {

std::string at(history::TrueTime t) { return history::format_duration(t.time_since_epoch()); }

// The ops of each grant other than its acquire, in history order.
std::map<std::uint64_t, std::vector<const history::Operation*>> ops_by_grant(
    const history::History& history) {
  std::map<std::uint64_t, std::vector<const history::Operation*>> by_grant;
  for (const history::Operation& op : history.operations()) {
    if (op.kind != history::OpKind::acquire && op.grant != 0) by_grant[op.grant].push_back(&op);
  }
  return by_grant;
}

// The end of belief of an acquire that completed ok: the earliest of the
// first release's invocation, the validity end as last moved by an ok extend,
// and a failed extend's completion.
void compute_belief(GrantView& g, const history::Operation& acquire,
                    const std::vector<const history::Operation*>& ops) {
  g.belief_start = acquire.completed_true;
  if (!acquire.validity_end_true) {
    g.unknown_why = fmt::format("acquire {} completed ok without a validity end", acquire.id);
    return;
  }
  std::vector<const history::Operation*> extends;
  for (const history::Operation* op : ops) {
    if (op->kind == history::OpKind::extend && op->status == history::OpStatus::ok) {
      extends.push_back(op);
    }
  }
  std::stable_sort(extends.begin(), extends.end(), [](const auto* a, const auto* b) {
    return a->completed_true != b->completed_true ? a->completed_true < b->completed_true
                                                  : a->id < b->id;
  });
  history::TrueTime end = *acquire.validity_end_true;
  std::string ended_by = "validity end";
  for (const history::Operation* e : extends) {
    if (!e->validity_end_true) {
      g.unknown_why = fmt::format("extend {} completed ok without a validity end", e->id);
      return;
    }
    end = *e->validity_end_true;
    ended_by = fmt::format("validity end (moved by extend {})", e->id);
  }
  for (const history::Operation* op : ops) {
    if (op->kind == history::OpKind::release && op->invoked_true < end) {
      end = op->invoked_true;
      ended_by = fmt::format("release {}", op->id);
    } else if (op->kind == history::OpKind::extend && op->status == history::OpStatus::fail &&
               op->completed_true < end) {
      end = op->completed_true;
      ended_by = fmt::format("extend {} failed", op->id);
    }
  }
  g.belief_end = std::max(end, *g.belief_start);  // an end before the start: no belief
  g.belief_ended_by = std::move(ended_by);
}

}  // namespace

std::string_view name_of(Verdict::Kind kind) {
  switch (kind) {
    case Verdict::Kind::ok: return "ok";
    case Verdict::Kind::violation: return "violation";
    case Verdict::Kind::unknown: return "unknown";
  }
  return "unknown";
}

std::map<std::uint64_t, GrantView> grants_of(const history::History& history) {
  const auto by_grant = ops_by_grant(history);
  static const std::vector<const history::Operation*> kNone;
  std::map<std::uint64_t, GrantView> grants;
  for (const history::Operation& op : history.operations()) {
    if (op.kind != history::OpKind::acquire) continue;
    GrantView g{.grant = op.id,
                .client = op.client,
                .client_name = op.client_name,
                .key = op.key,
                .acquire_status = op.status,
                .acquire_invoked = op.invoked_true,
                .acquire_completed = op.completed_true,
                .ops = {op.id}};
    const auto it = by_grant.find(op.id);
    const auto& ops = it == by_grant.end() ? kNone : it->second;
    for (const history::Operation* other : ops) g.ops.push_back(other->id);
    if (op.status == history::OpStatus::ok) compute_belief(g, op, ops);
    grants.emplace(op.id, std::move(g));
  }
  return grants;
}

std::string describe_belief(const GrantView& g) {
  if (!g.unknown_why.empty()) return "belief unknown (" + g.unknown_why + ")";
  if (!g.believed()) {
    if (g.acquire_status != history::OpStatus::ok) {
      return fmt::format("no belief (acquire {})", history::name_of(g.acquire_status));
    }
    return "no belief (empty interval)";
  }
  return fmt::format("believed [{}, {}), ended by {}", at(*g.belief_start), at(*g.belief_end),
                     g.belief_ended_by);
}

std::string describe_grant(const GrantView& g) {
  return fmt::format("grant {} ({}, acquire invoked {}) {}", g.grant, g.client_name,
                     at(g.acquire_invoked), describe_belief(g));
}

void attach_faults(Violation& v, history::TrueTime window_start, history::TrueTime window_end,
                   std::span<const FaultNote> faults) {
  v.window_start = std::max(window_start, history::TrueTime{});
  v.window_end = window_end;
  v.faults.clear();
  for (const FaultNote& f : faults) {
    if (f.at >= v.window_start && f.at <= v.window_end) v.faults.push_back(f);
  }
}

std::string describe_faults(const Violation& v) {
  if (v.faults.empty()) {
    return fmt::format("no faults in [{}, {}]", at(v.window_start), at(v.window_end));
  }
  std::string out = fmt::format("faults in [{}, {}]:", at(v.window_start), at(v.window_end));
  for (std::size_t i = 0; i < v.faults.size(); ++i) {
    out += fmt::format("{} {} {}", i == 0 ? "" : ";", at(v.faults[i].at), v.faults[i].what);
  }
  return out;
}

}  // namespace locklab::properties
