// Token hygiene: fencing tokens strictly increase per key in grant order, a
// key's grants are all fenced or all unfenced, lock tokens never repeat.
#include "locklab/properties/token_hygiene.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace locklab::properties {

namespace {

std::string at(history::TrueTime t) { return history::format_duration(t.time_since_epoch()); }

struct Grant {
  const GrantView* view;
  const history::Operation* acquire;
};

bool completed_before(const Grant& a, const Grant& b) {
  return std::tie(a.view->acquire_completed, a.view->grant) <
         std::tie(b.view->acquire_completed, b.view->grant);
}

struct Finding {
  std::string rule;
  Grant first;
  Grant second;
  std::string summary;
};

std::string fence(const Grant& g) {
  return g.acquire->fencing_token ? fmt::format("fencing token {}", *g.acquire->fencing_token)
                                  : "no fencing token";
}

std::string grant_text(const Grant& g) {
  return fmt::format("grant {} ({}, key \"{}\", acquired at {}, {})", g.view->grant,
                     g.view->client_name, g.view->key, at(g.view->acquire_completed), fence(g));
}

// Per key in grant order: the first token not above its predecessor's, and
// the first mix of fenced and unfenced grants.
void check_fencing(const std::vector<Grant>& grants, std::optional<Finding>& order,
                   std::optional<Finding>& missing) {
  const Grant* last_fenced = nullptr;
  const Grant* first_fenced = nullptr;
  const Grant* first_unfenced = nullptr;
  for (const Grant& g : grants) {
    if (!g.acquire->fencing_token) {
      if (first_unfenced == nullptr) first_unfenced = &g;
    } else {
      if (first_fenced == nullptr) first_fenced = &g;
      if (last_fenced != nullptr && *g.acquire->fencing_token <= *last_fenced->acquire->fencing_token &&
          (!order || completed_before(g, order->second))) {
        order = Finding{"fencing_order", *last_fenced, g,
                        fmt::format("fencing tokens do not increase on key \"{}\": {}, then {}",
                                    g.view->key, grant_text(*last_fenced), grant_text(g))};
      }
      if (last_fenced == nullptr || *g.acquire->fencing_token > *last_fenced->acquire->fencing_token) {
        last_fenced = &g;
      }
    }
    if (first_fenced != nullptr && first_unfenced != nullptr && (!missing || completed_before(g, missing->second)) &&
        (&g == first_fenced || &g == first_unfenced)) {
      const bool fenced_first = completed_before(*first_fenced, *first_unfenced);
      const Grant& a = fenced_first ? *first_fenced : *first_unfenced;
      const Grant& b = fenced_first ? *first_unfenced : *first_fenced;
      missing = Finding{"fencing_missing", a, b,
                        fmt::format("key \"{}\" has fenced and unfenced grants: {}; {}",
                                    g.view->key, grant_text(a), grant_text(b))};
    }
  }
}

}  // namespace

Verdict check_token_hygiene(const history::History& history, std::span<const FaultNote> faults) {
  const std::map<std::uint64_t, GrantView> views = grants_of(history);
  std::vector<Grant> all;       // every ok grant, for lock tokens
  std::map<std::string, std::vector<Grant>> by_key;  // judged grants, for fencing
  for (const auto& [id, g] : views) {
    if (g.acquire_status != history::OpStatus::ok) continue;
    const Grant grant{&g, &history.at(id)};
    all.push_back(grant);
    if (g.believed() || !g.unknown_why.empty()) by_key[g.key].push_back(grant);
  }
  std::sort(all.begin(), all.end(), completed_before);

  std::optional<Finding> order;
  std::optional<Finding> missing;
  for (auto& [key, list] : by_key) {
    std::sort(list.begin(), list.end(), completed_before);
    check_fencing(list, order, missing);
  }
  std::optional<Finding> repeat;
  std::map<std::string, Grant> seen;  // lock token -> first grant with it
  const GrantView* untokened = nullptr;
  for (const Grant& g : all) {
    if (!g.acquire->lock_token) {
      if (untokened == nullptr && (g.view->believed() || !g.view->unknown_why.empty())) {
        untokened = g.view;
      }
      continue;
    }
    const auto [it, fresh] = seen.emplace(*g.acquire->lock_token, g);
    if (!fresh) {
      repeat = Finding{"lock_token_repeat", it->second, g,
                       fmt::format("lock token \"{}\" handed out twice: {}; {}",
                                   *g.acquire->lock_token, grant_text(it->second), grant_text(g))};
      break;  // `all` is in grant order: the first repeat is the earliest
    }
  }

  Verdict verdict;
  verdict.checker = "token_hygiene";
  std::optional<Finding> first;
  for (std::optional<Finding>* f : {&order, &missing, &repeat}) {
    if (*f && (!first || completed_before((*f)->second, first->second))) first = **f;
  }
  if (first) {
    Violation v;
    v.rule = first->rule;
    v.first = *first->first.view;
    v.second = *first->second.view;
    v.at = first->first.view->acquire_completed;
    v.until = first->second.view->acquire_completed;
    attach_faults(v,
                  std::min(first->first.view->acquire_invoked, first->second.view->acquire_invoked) -
                      kFaultMargin,
                  v.until + kFaultMargin, faults);
    verdict.kind = Verdict::Kind::violation;
    verdict.summary = fmt::format("token hygiene violated ({}): {}; {}", first->rule,
                                  first->summary, describe_faults(v));
    verdict.first = std::move(v);
    return verdict;
  }
  if (untokened != nullptr) {
    verdict.kind = Verdict::Kind::unknown;
    verdict.summary = fmt::format(
        "token hygiene unknown: grant {} ({}, key \"{}\") has no lock token recorded, so repeats "
        "cannot be ruled out",
        untokened->grant, untokened->client_name, untokened->key);
    return verdict;
  }
  std::size_t fenced = 0;
  for (const auto& [key, list] : by_key) {
    if (!list.empty() && list.front().acquire->fencing_token) ++fenced;
  }
  verdict.kind = Verdict::Kind::ok;
  verdict.summary = fmt::format(
      "token hygiene holds: {} grants with distinct lock tokens; fencing tokens rise on {} of {} keys "
      "({} unfenced)",
      all.size(), fenced, by_key.size(), by_key.size() - fenced);
  return verdict;
}

}  // namespace locklab::properties
