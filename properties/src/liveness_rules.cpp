// The liveness rules, one function each: progress after the last heal, FIFO
// among one process's waiters, a crashed holder's lock coming free. Each
// returns its first violation, without faults; liveness.cpp picks the
// earliest and attaches them.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "liveness_parts.hpp"

namespace locklab::properties::liveness {

namespace {

std::string bound_text(const LivenessBounds& b) {
  return fmt::format("bound {} = ttl {} + drift allowance {} + retry delay {} + 2 x attempt {}",
                     span_text(b.bound()), span_text(b.ttl), span_text(b.drift_allowance),
                     span_text(b.retry_delay_max), span_text(b.attempt_max));
}

}  // namespace

// "acquire 9 (c2, invoked 8s, fail at 10s)", "... still pending at the end".
std::string describe_op(const LivenessIndex& index, const history::Operation& op) {
  const history::TrueTime end = index.end_of(op);
  std::string how;
  if (op.status != history::OpStatus::pending) {
    how = fmt::format("{} ({}) at {}", history::name_of(op.status), op.outcome,
                      at(op.completed_true));
  } else if (end < index.input().run_end || index.crash_after(op.client, op.invoked_true)) {
    how = fmt::format("pending, its process crashed at {}", at(end));
  } else {
    how = "still pending at the end";
  }
  return fmt::format("{} {} ({}, invoked {}, {})", history::name_of(op.kind), op.id, op.client_name,
                     at(op.invoked_true), how);
}

std::optional<Finding> first_progress_violation(const LivenessIndex& index) {
  const LivenessInput& in = index.input();
  if (in.last_heal >= in.run_end) return std::nullopt;
  std::optional<Overdue> best;
  std::string best_key;
  for (const auto& [key, list] : index.acquires()) {
    const std::vector<Interval> free = gaps({in.last_heal, in.run_end}, index.served(key, false));
    const std::optional<Overdue> o = first_overdue(index.chains(key), free, in.bounds.bound());
    if (o && (!best || o->due < best->due)) {
      best = o;
      best_key = key;
    }
  }
  if (!best) return std::nullopt;

  const history::Operation& blocked =
      blocked_at(index, best_key, index.chains(best_key)[best->chain], best->due);
  const GrantView* previous = nullptr;  // the last belief that ended by the wait's start
  for (const GrantView* g : index.grants_of_key(best_key)) {
    if (!g->believed() || *g->belief_end > best->start) continue;
    if (previous == nullptr ||
        std::tie(*g->belief_end, g->grant) > std::tie(*previous->belief_end, previous->grant)) {
      previous = g;
    }
  }
  Finding f;
  f.violation.rule = "progress";
  f.violation.first = index.grants().at(blocked.id);
  if (previous != nullptr) f.violation.second = *previous;
  f.violation.at = best->start;
  f.violation.until = best->due;
  f.window_from = best->start;
  f.summary = fmt::format(
      "liveness violated (progress) on key \"{}\": from {} clients kept trying and no grant was "
      "believed or made through {} ({}; last heal at {}); blocked: {}; last holder before: {}",
      best_key, at(best->start), at(best->due), bound_text(in.bounds), at(in.last_heal),
      describe_op(index, blocked), previous ? describe_grant(*previous) : std::string("none"));
  return f;
}

std::optional<Finding> first_fifo_violation(const LivenessIndex& index) {
  if (!index.input().fifo_local_waiters) return std::nullopt;
  const history::Operation* first_b = nullptr;  // the overtaking grant that completed first
  for (const auto& [key, list] : index.acquires()) {
    // Per process, the latest in-flight end among acquires invoked so far.
    std::map<history::ProcessId, history::TrueTime> latest_end;
    for (const history::Operation* b : list) {
      const auto it = latest_end.find(b->client);
      if (b->status == history::OpStatus::ok && it != latest_end.end() &&
          it->second > b->completed_true &&
          (first_b == nullptr ||
           std::tie(b->completed_true, b->id) < std::tie(first_b->completed_true, first_b->id))) {
        first_b = b;
      }
      const history::TrueTime end = index.end_of(*b);
      if (it == latest_end.end()) {
        latest_end.emplace(b->client, end);
      } else {
        it->second = std::max(it->second, end);
      }
    }
  }
  if (first_b == nullptr) return std::nullopt;
  const history::Operation* a = nullptr;  // the earliest-invoked waiter it overtook
  for (const history::Operation* op : index.acquires().at(first_b->key)) {
    if (op == first_b) break;
    if (op->client == first_b->client && index.end_of(*op) > first_b->completed_true) {
      a = op;
      break;
    }
  }
  Finding f;
  f.violation.rule = "fifo";
  f.violation.first = index.grants().at(a->id);
  f.violation.second = index.grants().at(first_b->id);
  f.violation.at = first_b->invoked_true;
  f.violation.until = first_b->completed_true;
  f.window_from = a->invoked_true;
  f.summary = fmt::format(
      "liveness violated (fifo) on key \"{}\": {}'s acquire {} (invoked {}) was granted at {} "
      "while its earlier acquire {} was still waiting: {}",
      first_b->key, first_b->client_name, first_b->id, at(first_b->invoked_true),
      at(first_b->completed_true), a->id, describe_op(index, *a));
  return f;
}

std::optional<Finding> first_crashed_holder_violation(const LivenessIndex& index) {
  const LivenessInput& in = index.input();
  // Per key, the ok grants by completion: "the next grant after the crash".
  std::map<std::string, std::vector<std::pair<history::TrueTime, std::uint64_t>>> granted;
  for (const auto& [id, g] : index.grants()) {
    if (g.acquire_status == history::OpStatus::ok) {
      granted[g.key].push_back({g.acquire_completed, id});
    }
  }
  for (auto& [key, list] : granted) std::sort(list.begin(), list.end());

  std::optional<Finding> best;
  for (const auto& [id, g] : index.grants()) {
    if (!g.believed()) continue;
    const std::optional<history::TrueTime> crash = index.crash_after(g.client, *g.belief_start);
    if (!crash || *crash >= *g.belief_end || *crash < in.last_heal) continue;
    const auto& next = granted.at(g.key);
    auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(*crash, std::uint64_t{0}));
    while (it != next.end() && it->second == g.grant) ++it;
    const history::TrueTime until = it == next.end() ? in.run_end : it->first;
    if (until <= *crash) continue;
    // Only possible sets excuse waiting here: the holder's own belief is moot
    // once it is dead, and no other grant completes before `until`.
    const std::vector<Interval> free = gaps({*crash, until}, index.served(g.key, true));
    const std::vector<Chain>& chains = index.chains(g.key);
    const auto from = std::partition_point(chains.begin(), chains.end(),
                                           [&](const Chain& c) { return c.to <= *crash; });
    const std::size_t offset = static_cast<std::size_t>(from - chains.begin());
    std::optional<Overdue> o = first_overdue(std::span(chains).subspan(offset), free,
                                             in.bounds.bound());
    if (!o || (best && o->due >= best->violation.until)) continue;
    o->chain += offset;
    const history::Operation& blocked = blocked_at(index, g.key, chains[o->chain], o->due);
    Finding f;
    f.violation.rule = "crashed_holder";
    f.violation.first = g;
    f.violation.second = index.grants().at(blocked.id);
    f.violation.at = o->start;
    f.violation.until = o->due;
    f.window_from = *crash;
    f.summary = fmt::format(
        "liveness violated (crashed holder) on key \"{}\": {} crashed at {} while holding grant {} "
        "({}); from {} clients kept trying and no other grant came through {} ({}); blocked: {}",
        g.key, g.client_name, at(*crash), g.grant, describe_belief(g), at(o->start), at(o->due),
        bound_text(in.bounds), describe_op(index, blocked));
    best = std::move(f);
  }
  return best;
}

}  // namespace locklab::properties::liveness
