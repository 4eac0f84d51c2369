// Writing a Scenario as a scenario file that parse_scenario() reads back
// equal: every field written (defaults too, so a file is self-describing),
// durations in their largest exact unit, processes by name.
#include <fmt/format.h>

#include <algorithm>

#include <limits>

#include "file_names.hpp"
#include "locklab/scenarios/scenario_file.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {

namespace {

using detail::file_name_of;

// A TOML basic string. Newlines stay real newlines (a multi-line string) so
// a description reads as prose in the file.
std::string quote(std::string_view text, bool multi_line = false) {
  std::string out = multi_line ? "\"\"\"\n" : "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += multi_line ? "\n" : "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += fmt::format("\\u{:04X}", u);
        } else {
          out += c;
        }
    }
  }
  return out + (multi_line ? "\"\"\"" : "\"");
}

std::string dur(sim::Duration d) { return quote(duration_text(d)); }
std::string dur(sim::TrueTime t) { return dur(t.time_since_epoch()); }
const char* flag(bool b) { return b ? "true" : "false"; }

// drift_ppm as the exact decimal fraction: 10000 -> 0.01, 1 -> 0.000001.
std::string drift_factor_text(std::int64_t ppm) {
  if (ppm < 0 || ppm >= 1'000'000) return fmt::format("{}", static_cast<double>(ppm) / 1e6);
  std::string digits = fmt::format("{:06}", ppm);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return "0." + digits;
}

class Writer {
 public:
  explicit Writer(const Scenario& s) : s_(s), names_(process_names(s)) {}

  std::string write() {
    top();
    cluster();
    algorithm();
    for (const LockSpec& l : s_.locks) lock(l);
    storage();
    for (const ClientSpec& c : s_.clients) client(c);
    faults();
    expect();
    return std::move(out_);
  }

 private:
  void line(std::string_view key, std::string_view value) { out_ += fmt::format("{} = {}\n", key, value); }
  void header(std::string_view name) { out_ += fmt::format("\n{}\n", name); }

  std::string name(sim::ProcessId id) const {
    const std::size_t i = sim::index_of(id);
    // An id outside the world cannot be named; the file will not load.
    return quote(i < names_.size() ? names_[i] : fmt::format("<process {}>", i));
  }
  std::string names(const std::vector<sim::ProcessId>& ids) const {
    std::string list;
    for (const sim::ProcessId id : ids) list += (list.empty() ? "" : ", ") + name(id);
    return "[" + list + "]";
  }

  void top() {
    // Format 1 while it says everything: a file without steps, presets,
    // links, named locks, a sequential fan-out or step and client
    // expectations stays readable by every build since format 1.
    out_ += fmt::format("# locklab scenario file; docs/scenarios.md describes every key.\nformat = {}\n",
                        needs_format_2(s_) ? kFormatVersion : 1);
    line("name", quote(s_.name));
    if (!s_.description.empty()) {
      line("description", quote(s_.description, s_.description.find('\n') != std::string::npos));
    }
    // TOML integers stop at 2^63 - 1; a larger seed is written as a string.
    line("seed", s_.seed <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                     ? std::to_string(s_.seed)
                     : quote(std::to_string(s_.seed)));
    line("duration", dur(s_.duration));
    line("order", quote(file_name_of(detail::kOrderNames, s_.order)));
    if (s_.trace_hash) line("trace_hash", quote(fmt::format("0x{:016x}", *s_.trace_hash)));
  }

  static std::string latency_text(const sim::LatencyModel& model) {
    return std::visit(sim::detail::Overloaded{
                          [](const sim::FixedLatency& f) { return dur(f.value); },
                          [](const sim::UniformLatency& u) {
                            return fmt::format("{{ kind = \"uniform\", min = {}, max = {} }}", dur(u.min), dur(u.max));
                          },
                          [](const sim::HeavyTailLatency& h) {
                            return fmt::format("{{ kind = \"heavy_tail\", base = {}, cap = {} }}", dur(h.base),
                                               dur(h.cap));
                          },
                      },
                      model);
  }

  void cluster() {
    header("[cluster]");
    line("latency", latency_text(s_.cluster.latency));
    line("discovery_delay", dur(s_.cluster.discovery_delay));
    for (const MasterSpec& m : s_.cluster.masters) {
      header("[[cluster.master]]");
      line("name", quote(m.name));
      line("persistence", quote(file_name_of(detail::kPersistenceNames, m.persistence)));
      line("restart_delay", dur(m.restart_delay));
      // Written only when set, so files from before the key stay as they were.
      if (m.load_time.count() != 0) line("load_time", dur(m.load_time));
      line("replicas", std::to_string(m.replicas));
      line("clock_offset", dur(m.clock.offset));
      line("drift_ppm", std::to_string(m.clock.drift_ppm));
    }
    for (const PresetSpec& p : s_.cluster.presets) {
      header("[[cluster.preset]]");
      line("node", quote(p.node));
      line("key", quote(p.key));
      line("value", quote(p.value));
      if (p.ttl) line("ttl", dur(*p.ttl));
    }
    for (const LinkSpec& l : s_.cluster.links) {
      header("[[cluster.link]]");
      line("between", strings({l.a, l.b}));
      line("latency", latency_text(l.latency));
    }
  }

  void algorithm() {
    header("[algorithm]");
    algorithm_fields(s_.algorithm);
  }

  void lock(const LockSpec& l) {
    header("[[lock]]");
    line("name", quote(l.name));
    if (!l.masters.empty()) line("masters", strings(l.masters));
    algorithm_fields(l.algorithm);
  }

  void algorithm_fields(const AlgorithmSpec& a) {
    line("kind", quote(file_name_of(detail::kAlgorithmNames, a.kind)));
    line("ttl", dur(a.ttl));
    line("drift_factor", drift_factor_text(a.drift_ppm));
    if (a.quorum) line("quorum", std::to_string(*a.quorum));
    if (a.node_timeout) line("node_timeout", dur(*a.node_timeout));
    line("retry_count", std::to_string(a.retry_count));
    line("retry_delay", dur(a.retry_delay));
    line("retry_jitter", dur(a.retry_jitter));
    line("fencing", flag(a.fencing));
    line("return_early", flag(a.return_early));
    // Written only when not the default, so files from before the key stay as they were.
    if (a.fan_out != lock::FanOutMode::parallel) line("fan_out", quote(file_name_of(detail::kFanOutNames, a.fan_out)));
  }

  void storage() {
    header("[storage]");
    line("name", quote(s_.storage.name));
    line("fenced", flag(s_.storage.fenced));
  }

  void client(const ClientSpec& spec) {
    const ClientSpec c = spec.normalized();
    const sim::ClientWorkload& w = c.workload;
    header("[[client]]");
    line("name", quote(c.name));
    line("clock_offset", dur(c.clock.offset));
    line("drift_ppm", std::to_string(c.clock.drift_ppm));
    if (c.steps) {
      out_ += "steps = " + steps_text(*c.steps, "") + "\n";
      return;
    }
    line("key", quote(w.key));
    line("iterations", std::to_string(w.iterations));
    line("start_after", dur(w.start_after));
    line("acquire_timeout", dur(w.acquire_timeout));
    line("writes", std::to_string(w.writes));
    line("hold", dur(w.hold));
    line("write_timeout", dur(w.write_timeout));
    line("think", dur(w.think));
    line("release", flag(w.release));
    line("careful", flag(w.careful));
  }

  // One step per line, a repeat's body indented under it.
  static std::string steps_text(const std::vector<Step>& steps, const std::string& indent) {
    std::string out = "[\n";
    for (const Step& step : steps) out += indent + "  " + step_text(step, indent + "  ") + ",\n";
    return out + indent + "]";
  }

  static std::string strings(const std::vector<std::string>& words) {
    std::string list;
    for (const std::string& w : words) list += (list.empty() ? "" : ", ") + quote(w);
    return "[" + list + "]";
  }

  static std::string step_text(const Step& step, const std::string& indent) {
    return std::visit(
        sim::detail::Overloaded{
            [](const AcquireStep& a) {
              std::string out = fmt::format("{{ acquire = {}, deadline = {}", quote(a.key), dur(a.deadline));
              if (a.ttl) out += fmt::format(", ttl = {}", dur(std::chrono::duration_cast<sim::Duration>(*a.ttl)));
              if (a.single_attempt) out += ", single_attempt = true";
              if (!a.lock.empty()) out += ", lock = " + quote(a.lock);
              return out + " }";
            },
            [](const WatchStep& w) {
              std::string out = "{ watch = true";
              if (w.renew_before) {
                out += ", renew_before = " + dur(std::chrono::duration_cast<sim::Duration>(*w.renew_before));
              }
              if (w.max_renewals) out += fmt::format(", max_renewals = {}", *w.max_renewals);
              return out + " }";
            },
            [](const MutexStep& m) {
              std::string out = fmt::format("{{ mutex = {}, call = {}", quote(m.key),
                                            quote(file_name_of(detail::kMutexCallNames, m.call)));
              if (!m.lock.empty()) out += ", lock = " + quote(m.lock);
              return out + ", timeout = " + dur(m.timeout) + " }";
            },
            [&indent](const GuardStep& g) { return "{ guard = " + steps_text(g.steps, indent) + " }"; },
            [](const ManagerStep& m) {
              std::string out = "{ manager = " + quote(m.key);
              if (!m.lock.empty()) out += ", lock = " + quote(m.lock);
              if (m.ttl) out += ", ttl = " + dur(std::chrono::duration_cast<sim::Duration>(*m.ttl));
              out += ", waiters = [";
              for (std::size_t i = 0; i < m.waiters.size(); ++i) {
                const ManagerWaiter& w = m.waiters[i];
                out += fmt::format("{}{{ start_after = {}, deadline = {}", i == 0 ? " " : ", ", dur(w.start_after),
                                   dur(w.deadline));
                if (w.stop_after) out += ", stop_after = " + dur(*w.stop_after);
                if (w.destroy_after) out += ", destroy_after = " + dur(*w.destroy_after);
                out += fmt::format(", hold = {}, writes = {}, unlock = {} }}", dur(w.hold), w.writes, flag(w.unlock));
              }
              return out + " ] }";
            },
            [](const WaitUntilStep& w) {
              switch (w.condition) {
                case WaitCondition::time: return fmt::format("{{ wait_until = {} }}", dur(w.at));
                case WaitCondition::lease_lost:
                  return fmt::format("{{ wait_until = \"lease_lost\", within = {} }}", dur(w.within));
              }
              return std::string("{ }");
            },
            [](const HoldStep& h) {
              return h.min == h.max ? fmt::format("{{ hold = {} }}", dur(h.min))
                                    : fmt::format("{{ hold = [{}, {}] }}", dur(h.min), dur(h.max));
            },
            [](const WriteStep& w) {
              return fmt::format("{{ write = {}, work = {}, timeout = {}, careful = {} }}", w.count, dur(w.work),
                                 dur(w.timeout), flag(w.careful));
            },
            [](const ExtendStep& e) { return fmt::format("{{ extend = {} }}", dur(e.deadline)); },
            [](const ReleaseStep&) { return std::string("{ release = true }"); },
            [](const SleepStep& s) { return fmt::format("{{ sleep = {} }}", dur(s.duration)); },
            [](const CommandStep& c) {
              return fmt::format("{{ command = {}, node = {}, timeout = {} }}", strings(c.argv), quote(c.node),
                                 dur(c.timeout));
            },
            [&indent](const RepeatStep& r) {
              return fmt::format("{{ repeat = {}, steps = {} }}", r.times, steps_text(r.steps, indent));
            },
        },
        step.kind);
  }

  void fault(const sim::Fault& f) {
    header("[[fault]]");
    line("at", dur(f.at));
    const auto single = [&](std::string_view kind, sim::ProcessId p) {
      line("kind", quote(kind));
      line("process", name(p));
    };
    std::visit(sim::detail::Overloaded{
                   [&](const sim::ProcessPause& p) { single("pause", p.process); },
                   [&](const sim::ProcessResume& p) { single("resume", p.process); },
                   [&](const sim::ProcessKill& p) { single("kill", p.process); },
                   [&](const sim::MachineCrash& p) { single("crash", p.process); },
                   [&](const sim::ProcessRestart& p) { single("restart", p.process); },
                   [&](const sim::LinkPartition& p) {
                     line("kind", quote("partition"));
                     line("from", names(p.from));
                     line("to", names(p.to));
                     line("one_way", flag(p.one_way));
                     line("mode", quote(file_name_of(detail::kPartitionModeNames, p.mode)));
                   },
                   [&](const sim::LinkHeal& h) {
                     line("kind", quote("heal"));
                     line("from", names(h.from));
                     line("to", names(h.to));
                     line("one_way", flag(h.one_way));
                   },
                   [&](const sim::MessageDelay& d) {
                     line("kind", quote("delay"));
                     line("from", name(d.from));
                     line("to", name(d.to));
                     line("extra", dur(d.extra));
                     line("count", std::to_string(d.count));
                   },
                   [&](const sim::ClockJump& j) {
                     single("clock_jump", j.process);
                     line("delta", dur(j.delta));
                   },
                   [&](const sim::ClockDriftSet& d) {
                     single("drift", d.process);
                     line("drift_ppm", std::to_string(d.drift_ppm));
                   },
                   [&](const sim::ConnectionReset& r) {
                     line("kind", quote("reset"));
                     line("a", name(r.a));
                     line("b", name(r.b));
                   },
               },
               f.action);
  }

  void failover(const Failover& f) {
    header("[[fault]]");
    line("at", dur(f.at));
    line("kind", quote("failover"));
    line("master", quote(f.master));
  }

  // Faults and failovers in one timeline, merged by time; each list keeps its
  // own order, which is all the reader needs to rebuild both exactly.
  void faults() {
    std::size_t i = 0;
    std::size_t k = 0;
    while (i < s_.faults.size() || k < s_.failovers.size()) {
      const bool take_fault =
          k == s_.failovers.size() || (i < s_.faults.size() && s_.faults[i].at <= s_.failovers[k].at);
      if (take_fault) {
        fault(s_.faults[i++]);
      } else {
        failover(s_.failovers[k++]);
      }
    }
  }

  void expect() {
    if (!s_.expect.empty()) {
      header("[expect]");
      for (const auto& [checker, kind] : s_.expect) line(checker, quote(file_name_of(detail::kVerdictNames, kind)));
    }
    if (!s_.expect_steps.empty()) {
      header("[expect.steps]");
      for (const auto& [ref, word] : s_.expect_steps) line(toml_key(text_of(ref)), quote(word));
    }
    for (const auto& [client, e] : s_.expect_clients) {
      header("[expect." + toml_key(client) + "]");
      if (e.acquired_by) line("acquired_by", dur(*e.acquired_by));
      if (e.min_grants) line("min_grants", std::to_string(*e.min_grants));
      if (e.max_wait) line("max_wait", dur(*e.max_wait));
    }
  }

  const Scenario& s_;
  std::vector<std::string> names_;
  std::string out_;
};

}  // namespace

std::string to_toml(const Scenario& scenario) { return Writer(scenario).write(); }

}  // namespace locklab::scenarios
