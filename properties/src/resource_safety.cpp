// Resource safety: per key, in storage-log order, no accepted write from a
// grant ordered before the latest grant already written.
#include "locklab/properties/resource_safety.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace locklab::properties {

namespace {

std::string at(history::TrueTime t) { return history::format_duration(t.time_since_epoch()); }

std::string token(const history::StorageWrite& w) {
  return w.fencing_token ? fmt::format("token {}", *w.fencing_token) : "no token";
}

// Grants are ordered by the true time their acquire completed, ties by id.
bool ordered_before(const GrantView& a, const GrantView& b) {
  return std::tie(a.acquire_completed, a.grant) < std::tie(b.acquire_completed, b.grant);
}

Verdict violation(const GrantView& stale, const GrantView& later, const LoggedWrite& later_write,
                  const LoggedWrite& stale_write, std::span<const FaultNote> faults) {
  Violation v;
  v.first = stale;
  v.second = later;
  v.writes = {later_write, stale_write};
  v.at = later_write.write.applied_true;
  v.until = stale_write.write.applied_true;
  attach_faults(v, std::min(stale.acquire_invoked, later.acquire_invoked) - kFaultMargin,
                v.until + kFaultMargin, faults);
  Verdict verdict;
  verdict.kind = Verdict::Kind::violation;
  verdict.checker = "resource_safety";
  verdict.summary = fmt::format(
      "resource safety violated on key \"{}\": the storage accepted write #{} of grant {} ({}, {}) "
      "at {} after write #{} of the later grant {} ({}, {}) at {}; grant {} acquired at {}, {}; "
      "grant {} acquired at {}, {}; {}",
      stale.key, stale_write.index, stale.grant, stale_write.write.writer_name,
      token(stale_write.write), at(stale_write.write.applied_true), later_write.index, later.grant,
      later_write.write.writer_name, token(later_write.write), at(later_write.write.applied_true),
      stale.grant, at(stale.acquire_completed), describe_belief(stale), later.grant,
      at(later.acquire_completed), describe_belief(later), describe_faults(v));
  verdict.first = std::move(v);
  return verdict;
}

}  // namespace

Verdict check_resource_safety(const history::History& history, const history::StorageLog& log,
                              std::span<const FaultNote> faults) {
  const std::map<std::uint64_t, GrantView> grants = grants_of(history);
  std::map<std::string, LoggedWrite> latest;  // per key: a write of the latest-ordered grant
  std::string unknown;
  std::size_t accepted = 0;
  const auto& writes = log.writes();
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const history::StorageWrite& w = writes[i];
    if (!w.accepted) continue;
    ++accepted;
    const auto it = grants.find(w.grant);
    if (w.grant == 0 || it == grants.end() ||
        it->second.acquire_status == history::OpStatus::pending) {
      if (unknown.empty()) {
        unknown = w.grant == 0 ? fmt::format("write #{} ({}) names no grant", i, w.writer_name)
                  : it == grants.end()
                      ? fmt::format("write #{} ({}) names grant {}, which the history has no "
                                    "acquire for", i, w.writer_name, w.grant)
                      : fmt::format("write #{} ({}) names grant {}, whose acquire never completed",
                                    i, w.writer_name, w.grant);
      }
      continue;
    }
    const GrantView& g = it->second;
    const auto seen = latest.find(g.key);
    if (seen == latest.end()) {
      latest.emplace(g.key, LoggedWrite{i, w});
      continue;
    }
    const GrantView& newest = grants.at(seen->second.write.grant);
    if (ordered_before(g, newest)) {
      return violation(g, newest, seen->second, LoggedWrite{i, w}, faults);
    }
    if (ordered_before(newest, g)) seen->second = LoggedWrite{i, w};
  }

  Verdict verdict;
  verdict.checker = "resource_safety";
  if (!unknown.empty()) {
    verdict.kind = Verdict::Kind::unknown;
    verdict.summary = "resource safety unknown: " + unknown;
    return verdict;
  }
  verdict.kind = Verdict::Kind::ok;
  verdict.summary = fmt::format("resource safety holds: {} accepted writes in grant order on {} keys",
                                accepted, latest.size());
  return verdict;
}

}  // namespace locklab::properties
