// shrink(): greedy, deterministic reduction of a failing scenario.
#include "locklab/scenarios/shrink.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>

#include "locklab/assert.hpp"
#include "shrink_config.hpp"
#include "shrink_steps.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
constexpr sim::Duration kResolution = 1ms;  // nothing is shortened below this

class Shrinker {
 public:
  Shrinker(std::string_view checker, const ShrinkOptions& options) : checker_(checker), options_(options) {}

  // Runs `candidate`; keeps it as the best when it still fails.
  bool try_candidate(const Scenario& candidate, bool past_budget = false) {
    if ((runs_ >= options_.max_runs && !past_budget) || candidate == best_) return false;
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
  const RunReport& report() const { return report_; }
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

// The next failover of the same shard as failovers[i], if any.
std::optional<std::size_t> next_of_same_shard(const Scenario& s, std::size_t i) {
  for (std::size_t j = i + 1; j < s.failovers.size(); ++j) {
    if (s.failovers[j].master == s.failovers[i].master) return j;
  }
  return std::nullopt;
}

// One failover at a time, then pairs of one shard: two failovers swap the
// shard's roles back, so a finding that needs the shard to end on one side
// survives no single removal (each flips the ending) but survives removing
// a pair.
bool remove_failovers(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = sh.best().failovers.size(); i-- > 0;) {
    Scenario c = sh.best();
    c.failovers.erase(c.failovers.begin() + static_cast<std::ptrdiff_t>(i));
    changed |= sh.try_candidate(c);
  }
  for (std::size_t i = sh.best().failovers.size(); i-- > 0;) {
    if (i >= sh.best().failovers.size()) continue;  // a pair removed below shortened the list
    const std::optional<std::size_t> j = next_of_same_shard(sh.best(), i);
    if (!j) continue;
    Scenario c = sh.best();
    c.failovers.erase(c.failovers.begin() + static_cast<std::ptrdiff_t>(*j));
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
    attempt([](sim::ClientWorkload& w) { return w.iterations > 1 && (w.iterations = 1, true); });
    attempt([](sim::ClientWorkload& w) { return w.iterations > 2 && (w.iterations /= 2, true); });
    attempt([](sim::ClientWorkload& w) { return w.iterations > 1 && (--w.iterations, true); });
    attempt([](sim::ClientWorkload& w) { return w.writes > 1 && (--w.writes, true); });
    attempt([](sim::ClientWorkload& w) { return w.writes > 0 && (w.writes = 0, true); });
  }
  return changed;
}

// Client steps, one simplification at a time (shrink_steps.hpp); after a
// success the list has changed, so the next round starts over from it.
bool shrink_steps(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = 0; i < sh.best().clients.size(); ++i) {
    bool progress = true;
    while (progress && sh.best().clients[i].steps && !sh.out_of_budget()) {
      progress = false;
      for (std::vector<Step>& simpler : detail::simpler_steps(*sh.best().clients[i].steps)) {
        Scenario c = sh.best();
        c.clients[i].steps = std::move(simpler);
        c.clients[i] = c.clients[i].normalized();
        if (sh.try_candidate(c)) {
          progress = changed = true;
          break;
        }
        if (sh.out_of_budget()) break;
      }
    }
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

// Fewer masters, keeping the quorum a majority of those left (a finding
// that needs a quorum of a minority says nothing about faults).
bool remove_masters(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = sh.best().cluster.masters.size(); i-- > 0;) {
    if (sh.best().cluster.masters.size() <= 1) break;
    const Scenario c = without_master(sh.best(), i);
    if (detail::quorum_is_majority(c)) changed |= sh.try_candidate(c);
  }
  return changed;
}

bool remove_replicas(Shrinker& sh) {
  bool changed = false;
  for (std::size_t i = 0; i < sh.best().cluster.masters.size(); ++i) {
    while (!sh.out_of_budget() && sh.best().cluster.masters[i].replicas > 0) {
      if (!sh.try_candidate(without_replica(sh.best(), i))) break;
      changed = true;
    }
  }
  return changed;
}

// Every configured clock (masters, whose replicas share it, and clients).
std::vector<sim::ClockSpec*> clocks_of(Scenario& s) {
  std::vector<sim::ClockSpec*> out;
  for (MasterSpec& m : s.cluster.masters) out.push_back(&m.clock);
  for (ClientSpec& c : s.clients) out.push_back(&c.clock);
  return out;
}

// Drifts and offsets toward zero: straight to zero first, then in halves
// while it still fails. A drift that stays is one the finding needs.
bool calm_clocks(Shrinker& sh) {
  bool changed = false;
  const auto toward_zero = [&](std::size_t clock, const std::function<bool(sim::ClockSpec&, bool)>& edit) {
    for (bool to_zero : {true, false}) {
      while (!sh.out_of_budget()) {
        Scenario c = sh.best();
        if (!edit(*clocks_of(c)[clock], to_zero) || !sh.try_candidate(c)) break;
        changed = true;
        if (to_zero) return;
      }
    }
  };
  Scenario probe = sh.best();
  const std::size_t count = clocks_of(probe).size();
  for (std::size_t i = 0; i < count; ++i) {
    toward_zero(i, [](sim::ClockSpec& k, bool to_zero) {
      if (k.drift_ppm == 0) return false;
      k.drift_ppm = to_zero ? 0 : k.drift_ppm / 2;
      return true;
    });
    toward_zero(i, [](sim::ClockSpec& k, bool to_zero) {
      if (k.offset == sim::Duration(0)) return false;
      if (to_zero || (k.offset <= kResolution && k.offset >= -kResolution)) {
        k.offset = sim::Duration(0);
      } else {
        k.offset /= 2;
      }
      return true;
    });
  }
  return changed;
}

// A fault that could not apply changes nothing but the trace (fault.hpp):
// the run without the ones the best run reported still fails the same way.
// Always tried, even past the run budget, so no result carries one.
void drop_inapplicable(Shrinker& sh) {
  const std::vector<sim::InapplicableFault>& gone = sh.report().inapplicable;
  if (gone.empty()) return;
  Scenario c = sh.best();
  std::vector<bool> drop(c.faults.size(), false);
  for (const sim::InapplicableFault& f : gone) {
    LOCKLAB_ASSERT(f.index.has_value() && *f.index < drop.size());
    drop[*f.index] = true;
  }
  sim::FaultSchedule kept;
  for (std::size_t i = 0; i < c.faults.size(); ++i) {
    if (!drop[i]) kept.push_back(c.faults[i]);
  }
  c.faults = std::move(kept);
  const bool still_fails = sh.try_candidate(c, /*past_budget=*/true);
  LOCKLAB_ASSERT(still_fails, "removing faults that could not apply changed the verdict");
  LOCKLAB_ASSERT(sh.report().inapplicable.empty());
}

}  // namespace

Scenario without_client(const Scenario& s, std::size_t index) {
  LOCKLAB_ASSERT_LT(index, s.clients.size());
  Scenario c = s;
  c.faults = detail::faults_without(s.faults, client_id(s, index));
  detail::drop_cluster_extras_of(c, s.clients[index].name);
  // Its expectations go with it: validate() refuses any naming no client.
  const std::string& name = s.clients[index].name;
  c.expect_clients.erase(name);
  std::erase_if(c.expect_steps, [&](const auto& e) { return e.first.client == name; });
  c.clients.erase(c.clients.begin() + static_cast<std::ptrdiff_t>(index));
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
    changed |= remove_masters(sh);
    changed |= remove_replicas(sh);
    changed |= shorten_clients(sh);
    changed |= shrink_steps(sh);
    changed |= shorten_faults(sh);
    changed |= calm_clocks(sh);
    changed |= shorten_duration(sh);
    if (sh.out_of_budget() || !changed) {
      const bool minimal = !sh.out_of_budget();
      drop_inapplicable(sh);
      return sh.result(minimal);
    }
  }
}

}  // namespace locklab::scenarios
