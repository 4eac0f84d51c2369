// Mutual exclusion: belief intervals of different holders (clients, or a lock
// manager's waiters inside one) on one key must not overlap. A sweep per key
// in order of belief start finds, for each key, the overlap that starts
// first; the earliest over all keys is reported.
#include "locklab/properties/mutual_exclusion.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace locklab::properties {

namespace {

std::string at(history::TrueTime t) { return history::format_duration(t.time_since_epoch()); }

// Holders are told apart by process and name: a lock manager's waiters share
// their process but not their names, and two of them holding at once is a
// violation as much as two clients.
bool same_holder(const GrantView* a, const GrantView* b) {
  return a->client == b->client && a->client_name == b->client_name;
}

struct Overlap {
  const GrantView* first;
  const GrantView* second;
  history::TrueTime from;
  history::TrueTime until;
};

// The overlap on one key that starts first, if any. `grants` are believed
// grants of that key sorted by (start, grant id). Linear: a grant b overlaps
// some earlier grant of another holder exactly when the latest-ending earlier
// grant of a holder other than b's ends after b starts, and the two
// latest-ending earlier grants of distinct holders answer that for any b. Only
// for the first such b is the partner looked up (the earliest-starting grant of
// another holder still believed then), so the walk stays O(n).
std::optional<Overlap> first_overlap(const std::vector<const GrantView*>& grants) {
  const GrantView* top = nullptr;    // the latest-ending grant so far
  const GrantView* other = nullptr;  // the latest-ending one of a holder other than top's
  for (std::size_t i = 0; i < grants.size(); ++i) {
    const GrantView* b = grants[i];
    const GrantView* rival = top != nullptr && !same_holder(top, b) ? top : other;
    if (rival != nullptr && *rival->belief_end > *b->belief_start) {
      for (std::size_t j = 0; j < i; ++j) {
        const GrantView* a = grants[j];
        if (!same_holder(a, b) && *a->belief_end > *b->belief_start) {
          return Overlap{a, b, *b->belief_start, std::min(*a->belief_end, *b->belief_end)};
        }
      }
    }
    if (top == nullptr || *b->belief_end > *top->belief_end) {
      if (top != nullptr && !same_holder(top, b)) other = top;
      top = b;
    } else if (!same_holder(b, top) && (other == nullptr || *b->belief_end > *other->belief_end)) {
      other = b;
    }
  }
  return std::nullopt;
}

Verdict violation(const Overlap& o, std::span<const FaultNote> faults) {
  Violation v;
  v.first = *o.first;
  v.second = *o.second;
  v.at = o.from;
  v.until = o.until;
  attach_faults(v,
                std::min(o.first->acquire_invoked, o.second->acquire_invoked) - kFaultMargin,
                o.until + kFaultMargin, faults);
  Verdict verdict;
  verdict.kind = Verdict::Kind::violation;
  verdict.checker = "mutual_exclusion";
  verdict.summary = fmt::format(
      "mutual exclusion violated on key \"{}\": two {} believe they hold it during [{}, {}); "
      "{}; {}; {}",
      o.first->key, o.first->client == o.second->client ? "holders in one process" : "clients", at(o.from),
      at(o.until), describe_grant(*o.first), describe_grant(*o.second),
      describe_faults(v));
  verdict.first = std::move(v);
  return verdict;
}

}  // namespace

Verdict check_mutual_exclusion(const history::History& history, std::span<const FaultNote> faults) {
  const std::map<std::uint64_t, GrantView> grants = grants_of(history);
  std::map<std::string, std::vector<const GrantView*>> by_key;
  const GrantView* unknown = nullptr;
  for (const auto& [id, g] : grants) {
    if (!g.unknown_why.empty()) {
      if (unknown == nullptr) unknown = &g;
    } else if (g.believed()) {
      by_key[g.key].push_back(&g);
    }
  }
  std::optional<Overlap> earliest;
  for (auto& [key, list] : by_key) {
    std::sort(list.begin(), list.end(), [](const GrantView* a, const GrantView* b) {
      return std::tie(*a->belief_start, a->grant) < std::tie(*b->belief_start, b->grant);
    });
    std::optional<Overlap> o = first_overlap(list);
    if (o && (!earliest || o->from < earliest->from)) earliest = o;
  }
  if (earliest) return violation(*earliest, faults);

  Verdict verdict;
  verdict.checker = "mutual_exclusion";
  if (unknown != nullptr) {
    verdict.kind = Verdict::Kind::unknown;
    verdict.summary = fmt::format("mutual exclusion unknown: grant {} ({}, key \"{}\"): {}",
                                  unknown->grant, unknown->client_name, unknown->key,
                                  unknown->unknown_why);
    return verdict;
  }
  verdict.kind = Verdict::Kind::ok;
  std::size_t believed = 0;
  for (const auto& [key, list] : by_key) believed += list.size();
  verdict.summary = fmt::format("mutual exclusion holds: {} believed grants on {} keys", believed,
                                by_key.size());
  return verdict;
}

}  // namespace locklab::properties
