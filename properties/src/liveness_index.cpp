// The history indexed for the liveness rules, and waiting time on the true
// time line: gaps between served intervals, demand chains, overdue waits.
#include <algorithm>
#include <tuple>

#include "liveness_parts.hpp"

namespace locklab::properties::liveness {

std::string at(history::TrueTime t) { return history::format_duration(t.time_since_epoch()); }
std::string span_text(history::Duration d) { return history::format_duration(d); }

namespace {

bool may_set_key(const history::Operation& op) {
  return op.kind == history::OpKind::acquire || op.kind == history::OpKind::extend;
}

}  // namespace

LivenessIndex::LivenessIndex(const history::History& history, const LivenessInput& input)
    : history_(history), input_(input), grants_(grants_of(history)) {
  for (const ClientCrash& c : input.crashes) crashes_[c.process].push_back(c.at);
  for (auto& [p, times] : crashes_) std::sort(times.begin(), times.end());

  const history::Duration attempt = input.bounds.attempt_max;
  for (const history::Operation& op : history.operations()) {
    if (op.kind == history::OpKind::acquire) acquires_[op.key].push_back(&op);
    if (!may_set_key(op)) continue;
    // Only the last attempt of an indeterminate op can have left the key set:
    // earlier attempts failed definitely and were unlocked.
    std::optional<history::TrueTime> ended;
    if (op.status == history::OpStatus::info) {
      ended = op.completed_true;
    } else if (op.status == history::OpStatus::pending) {
      ended = crash_after(op.client, op.invoked_true);
    }
    if (ended) excuses_[op.key].push_back({std::max(op.invoked_true, *ended - attempt), *ended});
  }
  for (auto& [key, list] : acquires_) {
    std::stable_sort(list.begin(), list.end(), [](const history::Operation* a, const history::Operation* b) {
      return std::tie(a->invoked_true, a->id) < std::tie(b->invoked_true, b->id);
    });
    std::vector<Chain>& out = chains_[key];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const history::TrueTime end = end_of(*list[i]);
      if (!out.empty() && list[i]->invoked_true - out.back().to <= input.bounds.think_max) {
        out.back().to = std::max(out.back().to, end);
        out.back().last = i;
      } else {
        out.push_back({list[i]->invoked_true, end, i, i});
      }
    }
  }
  for (const auto& [id, g] : grants_) grants_by_key_[g.key].push_back(&g);
}

const std::vector<Chain>& LivenessIndex::chains(const std::string& key) const {
  static const std::vector<Chain> kNone;
  const auto it = chains_.find(key);
  return it == chains_.end() ? kNone : it->second;
}

const std::vector<const GrantView*>& LivenessIndex::grants_of_key(const std::string& key) const {
  static const std::vector<const GrantView*> kNone;
  const auto it = grants_by_key_.find(key);
  return it == grants_by_key_.end() ? kNone : it->second;
}

std::vector<Interval> LivenessIndex::served(const std::string& key, bool excuses_only) const {
  std::vector<Interval> out;
  if (const auto it = excuses_.find(key); it != excuses_.end()) out = it->second;
  if (!excuses_only) {
    for (const GrantView* g : grants_of_key(key)) {
      if (g->belief_start && g->belief_end) {
        // A grant is progress even when its belief is empty (released, or
        // its validity over, in the instant it was granted): the interval
        // [start, start) ends the gap before it.
        out.push_back({*g->belief_start, std::max(*g->belief_start, *g->belief_end)});
      } else if (!g->unknown_why.empty() && g->belief_start) {
        out.push_back({*g->belief_start, std::max(*g->belief_start, input_.run_end)});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Interval& a, const Interval& b) { return std::tie(a.from, a.to) < std::tie(b.from, b.to); });
  return out;
}

history::TrueTime LivenessIndex::end_of(const history::Operation& op) const {
  if (op.status != history::OpStatus::pending) return op.completed_true;
  const std::optional<history::TrueTime> crash = crash_after(op.client, op.invoked_true);
  return crash ? *crash : std::max(op.invoked_true, input_.run_end);
}

std::optional<history::TrueTime> LivenessIndex::crash_after(history::ProcessId p,
                                                             history::TrueTime t) const {
  const auto it = crashes_.find(p);
  if (it == crashes_.end()) return std::nullopt;
  const auto c = std::lower_bound(it->second.begin(), it->second.end(), t);
  if (c == it->second.end()) return std::nullopt;
  return *c;
}

std::vector<Interval> gaps(Interval window, std::vector<Interval> served) {
  std::sort(served.begin(), served.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> out;
  history::TrueTime cursor = window.from;
  for (const Interval& s : served) {
    if (cursor >= window.to) break;
    if (s.to <= cursor) continue;
    if (s.from > cursor) out.push_back({cursor, std::min(s.from, window.to)});
    cursor = std::max(cursor, s.to);
  }
  if (cursor < window.to) out.push_back({cursor, window.to});
  return out;
}

std::optional<Overdue> first_overdue(std::span<const Chain> chains, std::span<const Interval> gaps,
                                     history::Duration bound) {
  std::size_t c = 0;
  std::size_t g = 0;
  while (c < chains.size() && g < gaps.size()) {
    const history::TrueTime from = std::max(chains[c].from, gaps[g].from);
    const history::TrueTime to = std::min(chains[c].to, gaps[g].to);
    if (to > from && to - from > bound) return Overdue{from, from + bound, c};
    if (chains[c].to <= gaps[g].to) {
      ++c;
    } else {
      ++g;
    }
  }
  return std::nullopt;
}

const history::Operation& blocked_at(const LivenessIndex& index, const std::string& key,
                                 const Chain& c, history::TrueTime due) {
  const auto& list = index.acquires().at(key);
  for (std::size_t i = c.first; i <= c.last; ++i) {
    if (index.end_of(*list[i]) > due) return *list[i];
  }
  return *list[c.last];  // unreachable when the chain's demand reaches past due
}

}  // namespace locklab::properties::liveness
