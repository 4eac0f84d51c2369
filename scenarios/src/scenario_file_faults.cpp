// Reading [[fault]] tables (the simulation core's fault records, plus
// failovers).
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>

#include "file_names.hpp"
#include "file_parts.hpp"

namespace locklab::scenarios::detail {

namespace {

// Process names to ids, built once (a file may hold thousands of faults).
class ProcessTable {
 public:
  explicit ProcessTable(const Scenario& s) : names_(process_names(s)) {
    for (std::size_t i = 0; i < names_.size(); ++i) ids_.emplace(names_[i], static_cast<sim::ProcessId>(i));
  }

  sim::ProcessId resolve(const TableReader& t, const std::string& field, const toml::node& node) const {
    const auto* s = node.as_string();
    if (s == nullptr) {
      fail_at(t.file(), node.source(), field, "must be a process name (got " + value_text(node) + ")");
    }
    const auto it = ids_.find(s->get());
    if (it != ids_.end()) return it->second;
    fail_at(t.file(), node.source(), field,
            fmt::format("no process named {} (the processes are {})", value_text(node), listing()));
  }

  sim::ProcessId one(const TableReader& t, std::string_view key) const {
    const toml::node* node = t.find(key);
    if (node == nullptr) t.fail(key, "is required");
    return resolve(t, t.field(key), *node);
  }

  std::vector<sim::ProcessId> many(const TableReader& t, std::string_view key) const {
    const toml::node* node = t.find(key);
    if (node == nullptr) t.fail(key, "is required");
    const toml::array* names = node->as_array();
    if (names == nullptr) {
      t.fail(key, "must be an array of process names, like [\"redis-0\"] (got " + value_text(*node) + ")");
    }
    std::vector<sim::ProcessId> ids;
    for (std::size_t i = 0; i < names->size(); ++i) {
      ids.push_back(resolve(t, fmt::format("{}[{}]", t.field(key), i), *names->get(i)));
    }
    return ids;
  }

 private:
  // The first few names: enough to spot a typo, short enough for one line.
  std::string listing() const {
    std::string text;
    for (std::size_t i = 0; i < names_.size() && i < 8; ++i) text += (i == 0 ? "" : ", ") + names_[i];
    if (names_.size() > 8) text += fmt::format(", ... ({} in all)", names_.size());
    return text;
  }

  std::vector<std::string> names_;
  std::map<std::string, sim::ProcessId, std::less<>> ids_;
};

sim::FaultAction read_action(FaultKind kind, const TableReader& t, const ProcessTable& processes) {
  const std::string what = fmt::format("a {} fault", file_name_of(kFaultKindNames, kind));
  const auto single = [&] {
    t.allow_only({"at", "kind", "process"}, what);
    return processes.one(t, "process");
  };
  switch (kind) {
    case FaultKind::pause: return sim::ProcessPause{single()};
    case FaultKind::resume: return sim::ProcessResume{single()};
    case FaultKind::kill: return sim::ProcessKill{single()};
    case FaultKind::crash: return sim::MachineCrash{single()};
    case FaultKind::restart: return sim::ProcessRestart{single()};
    case FaultKind::partition: {
      t.allow_only({"at", "kind", "from", "to", "one_way", "mode"}, what);
      sim::LinkPartition p{.from = processes.many(t, "from"), .to = processes.many(t, "to")};
      if (auto b = t.boolean("one_way")) p.one_way = *b;
      if (auto m = t.one_of<sim::PartitionMode>("mode", kPartitionModeNames)) p.mode = *m;
      return p;
    }
    case FaultKind::heal: {
      t.allow_only({"at", "kind", "from", "to", "one_way"}, what);
      sim::LinkHeal h{.from = processes.many(t, "from"), .to = processes.many(t, "to")};
      if (auto b = t.boolean("one_way")) h.one_way = *b;
      return h;
    }
    case FaultKind::delay: {
      t.allow_only({"at", "kind", "from", "to", "extra", "count"}, what);
      sim::MessageDelay d{.from = processes.one(t, "from"), .to = processes.one(t, "to"),
                          .extra = t.required_duration("extra", Sign::non_negative)};
      if (auto n = t.integer("count", 0, std::numeric_limits<std::uint32_t>::max())) {
        d.count = static_cast<std::uint32_t>(*n);
      }
      return d;
    }
    case FaultKind::clock_jump: {
      t.allow_only({"at", "kind", "process", "delta"}, what);
      return sim::ClockJump{processes.one(t, "process"), t.required_duration("delta", Sign::any)};
    }
    case FaultKind::drift: {
      t.allow_only({"at", "kind", "process", "drift_ppm"}, what);
      const sim::ProcessId p = processes.one(t, "process");
      const std::optional<std::int64_t> ppm = t.integer("drift_ppm", kMinDriftPpm, kMaxDriftPpm);
      if (!ppm) t.fail("drift_ppm", "is required");
      return sim::ClockDriftSet{p, *ppm};
    }
    case FaultKind::reset: {
      t.allow_only({"at", "kind", "a", "b"}, what);
      return sim::ConnectionReset{processes.one(t, "a"), processes.one(t, "b")};
    }
    case FaultKind::failover: break;  // not a sim::FaultAction; read_faults handles it
  }
  t.fail("kind", "is not a fault of the simulation core");
}

Failover read_failover(const TableReader& t, const Scenario& s, sim::TrueTime at) {
  t.allow_only({"at", "kind", "master"}, "a failover fault");
  Failover f{.at = at, .master = t.required_string("master")};
  const auto it = std::find_if(s.cluster.masters.begin(), s.cluster.masters.end(),
                               [&](const MasterSpec& m) { return m.name == f.master; });
  if (it == s.cluster.masters.end()) {
    t.fail("master", "no master named " + value_text(*t.find("master")));
  }
  if (it->replicas < 1) {
    t.fail("master", fmt::format("'{}' has no replica to promote (give it replicas = 1 or more)", f.master));
  }
  return f;
}

}  // namespace

void read_faults(const TableReader& top, Scenario& s, Origins& origins) {
  const toml::array* faults = top.array("fault");
  if (faults == nullptr) return;
  const ProcessTable processes(s);
  for (std::size_t i = 0; i < faults->size(); ++i) {
    const toml::node& entry = *faults->get(i);
    const std::string path = fmt::format("fault[{}]", i);
    const toml::table* table = entry.as_table();
    if (table == nullptr) fail_at(top.file(), entry.source(), path, "must be a table (write [[fault]])");
    const TableReader t(top.file(), *table, path);
    const std::optional<FaultKind> kind = t.one_of<FaultKind>("kind", kFaultKindNames);
    if (!kind) t.fail("kind", "is required");
    const sim::TrueTime at = sim::true_time(t.required_duration("at", Sign::non_negative));
    if (*kind == FaultKind::failover) {
      s.failovers.push_back(read_failover(t, s, at));
      origins.failovers.push_back({path, table, t.find("master")});
    } else {
      s.faults.push_back({at, read_action(*kind, t, processes)});
      origins.faults.push_back({path, table, nullptr});
    }
  }
}

}  // namespace locklab::scenarios::detail
