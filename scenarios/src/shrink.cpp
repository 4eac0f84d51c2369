// shrink(): greedy, deterministic reduction of a failing scenario.
#include "locklab/scenarios/shrink.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>

#include "locklab/assert.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
constexpr sim::Duration kResolution = 1ms;  // nothing is shortened below this

class Shrinker {
 public:
  Shrinker(std::string_view checker, const ShrinkOptions& options) : checker_(checker), options_(options) {}

  // Runs `candidate`; keeps it as the best when it still fails.
  bool try_candidate(const Scenario& candidate) {
    if (runs_ >= options_.max_runs || candidate == best_) return false;
    ++runs_;
    try {
      RunReport report = run_scenario(candidate);
      const properties::Verdict* v = report.verdict(checker_);
      if (v == nullptr || v->kind != properties::Verdict::Kind::violation) return false;
      best_ = candidate;
      report_ = std::move(report);
      return true;
    } catch (const std::invalid_argument&) {
      return false;  // a shortening made it invalid: not a candidate
    }
  }

  void start(const Scenario& failing) {
    best_ = failing;
    ++runs_;
    report_ = run_scenario(failing);
    const properties::Verdict* v = report_.verdict(checker_);
    LOCKLAB_ASSERT(v != nullptr && v->kind == properties::Verdict::Kind::violation);
  }

  bool out_of_budget() const { return runs_ >= options_.max_runs; }
  const Scenario& best() const { return best_; }
  ShrinkResult result(bool minimal) { return {best_, std::move(report_), runs_, minimal}; }

 private:
  std::string checker_;
  ShrinkOptions options_;
  Scenario best_;
  RunReport report_;
  int runs_ = 0;
};

// Removes chunks of faults, halving the chunk size down to one.
bool remove_faults(Shrinker& sh) {
  bool changed = false;
  for (std::size_t chunk = std::max<std::size_t>(1, sh.best().faults.size() / 2); chunk >= 1; chunk /= 2) {
    for (std::size_t start = 0; start < sh.best().faults.size();) {
      Scenario c = sh.best();
      const std::size_t end = std::min(c.faults.size(), start + chunk);
      c.faults.erase(c.faults.begin() + static_cast<std::ptrdiff_t>(start),
                     c.faults.begin() + static_cast<std::ptrdiff_t>(end));
      if (sh.try_candidate(c)) {
        changed = true;  // the next chunk now starts at `start`
      } else {
        start += chunk;
      }
    }
    if (chunk == 1) break;
  }
  return changed;
}

bool remove_failovers(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = sh.best().failovers.size(); i-- > 0;) {
    Scenario c = sh.best();
    c.failovers.erase(c.failovers.begin() + static_cast<std::ptrdiff_t>(i));
    changed |= sh.try_candidate(c);
  }
  return changed;
}

bool remove_clients(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = sh.best().clients.size(); i-- > 0;) {
    if (sh.best().clients.size() <= 1) break;
    changed |= sh.try_candidate(without_client(sh.best(), i));
  }
  return changed;
}

bool shorten_clients(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = 0; i < sh.best().clients.size(); ++i) {
    const auto attempt = [&](const std::function<bool(sim::ClientWorkload&)>& edit) {
      Scenario c = sh.best();
      if (edit(c.clients[i].workload)) changed |= sh.try_candidate(c);
    };
    attempt([](sim::ClientWorkload& w) { return w.iterations > 1 && (--w.iterations, true); });
    attempt([](sim::ClientWorkload& w) { return w.writes > 1 && (--w.writes, true); });
    attempt([](sim::ClientWorkload& w) { return w.writes > 0 && (w.writes = 0, true); });
  }
  return changed;
}

// Halves a fault's length: the time to its end, a delay's extra, a jump.
std::optional<Scenario> shortened(const Scenario& s, std::size_t i) {
  Scenario c = s;
  sim::Fault& f = c.faults[i];
  if (const auto end = sim::ending_fault(c.faults, i)) {
    const sim::Duration length = c.faults[*end].at - f.at;
    if (length <= kResolution) return std::nullopt;
    c.faults[*end].at = f.at + length / 2;
    std::stable_sort(c.faults.begin(), c.faults.end(),
                     [](const sim::Fault& a, const sim::Fault& b) { return a.at < b.at; });
    return c;
  }
  if (auto* d = std::get_if<sim::MessageDelay>(&f.action)) {
    if (d->count > 1) {
      d->count = 1;
      return c;
    }
    if (d->extra <= kResolution) return std::nullopt;
    d->extra /= 2;
    return c;
  }
  if (auto* j = std::get_if<sim::ClockJump>(&f.action)) {
    if (j->delta <= kResolution && j->delta >= -kResolution) return std::nullopt;
    j->delta /= 2;
    return c;
  }
  if (auto* d = std::get_if<sim::ClockDriftSet>(&f.action)) {
    if (d->drift_ppm == 0) return std::nullopt;
    d->drift_ppm /= 2;
    return c;
  }
  return std::nullopt;
}

bool shorten_faults(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = 0; i < sh.best().faults.size(); ++i) {
    // Halve while it still fails; a fault only ever gets shorter.
    while (!sh.out_of_budget()) {
      const std::optional<Scenario> c = shortened(sh.best(), i);
      if (!c || !sh.try_candidate(*c)) break;
      changed = true;
    }
  }
  return changed;
}

bool shorten_duration(Shrinker& sh) {
  bool changed = false;
  while (!sh.out_of_budget() && sh.best().duration > 2 * kResolution) {
    Scenario c = sh.best();
    c.duration /= 2;
    if (!sh.try_candidate(c)) break;
    changed = true;
  }
  return changed;
}

// The id `p` has once process `gone` is removed (ids above it move down).
sim::ProcessId renumbered(sim::ProcessId p, sim::ProcessId gone) {
  return sim::index_of(p) > sim::index_of(gone) ? sim::ProcessId{sim::index_of(p) - 1} : p;
}

// Drops `gone` from a side; renumbers ids above it.
std::vector<sim::ProcessId> without(const std::vector<sim::ProcessId>& side, sim::ProcessId gone) {
  std::vector<sim::ProcessId> out;
  for (const sim::ProcessId p : side) {
    if (p != gone) out.push_back(renumbered(p, gone));
  }
  return out;
}

}  // namespace

Scenario without_client(const Scenario& s, std::size_t index) {
  LOCKLAB_ASSERT_LT(index, s.clients.size());
  const sim::ProcessId gone = client_id(s, index);
  const auto renumber = [gone](sim::ProcessId p) { return renumbered(p, gone); };
  Scenario c = s;
  c.clients.erase(c.clients.begin() + static_cast<std::ptrdiff_t>(index));
  c.faults.clear();
  for (const sim::Fault& f : s.faults) {
    std::optional<sim::FaultAction> kept = std::visit(
        sim::detail::Overloaded{
            [&](const sim::LinkPartition& p) -> std::optional<sim::FaultAction> {
              sim::LinkPartition q{without(p.from, gone), without(p.to, gone), p.one_way, p.mode};
              if (q.from.empty() || q.to.empty()) return std::nullopt;
              return q;
            },
            [&](const sim::LinkHeal& h) -> std::optional<sim::FaultAction> {
              sim::LinkHeal q{without(h.from, gone), without(h.to, gone), h.one_way};
              if (q.from.empty() || q.to.empty()) return std::nullopt;
              return q;
            },
            [&](const sim::MessageDelay& d) -> std::optional<sim::FaultAction> {
              if (d.from == gone || d.to == gone) return std::nullopt;
              return sim::MessageDelay{renumber(d.from), renumber(d.to), d.extra, d.count};
            },
            [&](const sim::ConnectionReset& r) -> std::optional<sim::FaultAction> {
              if (r.a == gone || r.b == gone) return std::nullopt;
              return sim::ConnectionReset{renumber(r.a), renumber(r.b)};
            },
            [&](auto single) -> std::optional<sim::FaultAction> {
              if (single.process == gone) return std::nullopt;
              single.process = renumber(single.process);
              return single;
            },
        },
        f.action);
    if (kept) c.faults.push_back({f.at, std::move(*kept)});
  }
  return c;
}

ShrinkResult shrink(const Scenario& failing, std::string_view checker, const ShrinkOptions& options) {
  Shrinker sh(checker, options);
  sh.start(failing);
  for (;;) {
    bool changed = false;
    changed |= remove_failovers(sh);
    changed |= remove_faults(sh);
    changed |= remove_clients(sh);
    changed |= shorten_clients(sh);
    changed |= shorten_faults(sh);
    changed |= shorten_duration(sh);
    if (sh.out_of_budget()) return sh.result(false);
    if (!changed) return sh.result(true);
  }
}

}  // namespace locklab::scenarios
