#include "locklab/scenarios/report.hpp"

#include <fmt/format.h>

#include <map>
#include <variant>

#include "locklab/sim/time.hpp"

namespace locklab::scenarios {
namespace {

std::string at(sim::TrueTime t) { return sim::format_duration(t - sim::TrueTime{}); }

std::string verdict_word(properties::Verdict::Kind k) {
  switch (k) {
    case properties::Verdict::Kind::ok: return "ok";
    case properties::Verdict::Kind::violation: return "VIOLATION";
    case properties::Verdict::Kind::unknown: return "unknown";
  }
  return "?";
}

// Whether the scenario kills or crashes `client` at or after `since`: an
// operation it left pending then died with it; otherwise the world ended
// while the operation was still out.
bool dies_after(const Scenario& s, sim::ProcessId client, sim::TrueTime since) {
  for (const sim::Fault& f : s.faults) {
    if (f.at < since) continue;
    if (const auto* kill = std::get_if<sim::ProcessKill>(&f.action); kill && kill->process == client) return true;
    if (const auto* crash = std::get_if<sim::MachineCrash>(&f.action); crash && crash->process == client) return true;
  }
  return false;
}

std::string acquisitions(const Scenario& s, const RunReport& r) {
  std::map<std::string, int> outcomes;
  int total = 0;
  for (const history::Operation& op : r.history.operations()) {
    if (op.kind != history::OpKind::acquire) continue;
    ++total;
    if (op.status != history::OpStatus::pending) {
      ++outcomes[op.outcome];
    } else if (dies_after(s, op.client, op.invoked_true)) {
      ++outcomes["pending (process died)"];
    } else {
      ++outcomes["pending at the end"];
    }
  }
  std::string out = fmt::format("acquisitions: {} attempted", total);
  for (const auto& [outcome, n] : outcomes) out += fmt::format(", {} {}", n, outcome);
  return out;
}

}  // namespace

std::string describe_scenario(const Scenario& s) {
  std::string out = fmt::format("{} over {} master{}", name_of(s.algorithm.kind), s.cluster.masters.size(),
                                s.cluster.masters.size() == 1 ? "" : "s");
  out += fmt::format(", {} client{}, {} fault{}", s.clients.size(), s.clients.size() == 1 ? "" : "s",
                     s.faults.size(), s.faults.size() == 1 ? "" : "s");
  if (!s.failovers.empty()) out += fmt::format(", {} failover{}", s.failovers.size(), s.failovers.size() == 1 ? "" : "s");
  out += fmt::format(", ttl {}, {}{}, {}", sim::format_duration(s.algorithm.ttl),
                     s.algorithm.fencing ? "fencing" : "no fencing",
                     s.storage.fenced ? " (storage fenced)" : "", sim::format_duration(s.duration));
  return out;
}

std::string format_story(const properties::Verdict& v) {
  if (!v.first) return {};
  const properties::Violation& x = *v.first;
  std::string out = fmt::format("story ({}), during [{}, {}]:\n", v.checker, at(x.at), at(x.until));
  out += "  first:  " + properties::describe_grant(x.first) + "\n";
  out += "  second: " + properties::describe_grant(x.second) + "\n";
  for (const properties::LoggedWrite& w : x.writes) {
    out += fmt::format("  write #{}: {} (grant {}, fencing token {}) at {}, {}\n", w.index, w.write.writer_name,
                       w.write.grant, w.write.fencing_token ? std::to_string(*w.write.fencing_token) : "none",
                       at(w.write.applied_true), w.write.accepted ? "accepted" : "rejected");
  }
  out += "  " + properties::describe_faults(x) + "\n";
  return out;
}

std::string format_report(const Scenario& s, const RunReport& r) {
  std::string out = fmt::format("scenario {}: {}\n", s.name.empty() ? "(unnamed)" : s.name, describe_scenario(s));
  out += fmt::format("run: {} at {}, {} events, trace hash {:016x}{}\n", sim::name_of(r.run.status),
                     at(r.run.now), r.run.events, r.trace_hash, r.run.detail.empty() ? "" : " (" + r.run.detail + ")");
  out += acquisitions(s, r) + fmt::format("; {} writes to the storage\n", r.storage.writes().size());
  out += fmt::format("faults applied: {}\n", r.faults.size());
  for (const history::FaultNote& f : r.faults) {
    out += fmt::format("  {:>10}  {}\n", at(f.at), f.what);
  }
  out += "verdicts:\n";
  for (const properties::Verdict& v : r.verdicts) {
    // A violation's first clause; its story follows below in full.
    const std::string line = v.first ? v.summary.substr(0, v.summary.find("; ")) : v.summary;
    out += fmt::format("  {:<17} {:<9} {}\n", v.checker, verdict_word(v.kind), line);
  }
  for (const properties::Verdict& v : r.verdicts) {
    if (v.kind == properties::Verdict::Kind::violation) out += format_story(v);
  }
  return out;
}

std::vector<std::string> inapplicable_warnings(const RunReport& r, std::string_view file,
                                               const std::vector<FaultPlace>& places) {
  std::vector<std::string> lines;
  for (const sim::InapplicableFault& f : r.inapplicable) {
    std::string where = fmt::format("{}: warning: fault", file);
    if (f.index && *f.index < places.size() && places[*f.index].line > 0) {
      const FaultPlace& p = places[*f.index];
      where = fmt::format("{}:{}: warning: {}", file, p.line, p.field);
    } else if (f.index) {
      where += fmt::format(" #{}", *f.index);
    }
    lines.push_back(fmt::format("{} ({} at {}) cannot apply: {}; it changes nothing and can be removed", where,
                                f.what, at(f.at), f.why));
  }
  return lines;
}

}  // namespace locklab::scenarios
