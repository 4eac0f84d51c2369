// A file that loads must run: every generated scenario, and every byte-level
// mutation of its file that still loads, runs to its end under a
// 10,000-event budget (no exception, no abort).
//
// The writer and the reader agree: for every runnable Scenario,
// parse_scenario(to_toml(s)) == s — names with quotes, backslashes, control
// characters and non-ASCII text, durations from a nanosecond to centuries in
// every unit, seeds and hashes across all 64 bits, every fault kind,
// clients with steps of every kind, and expectations of single operations
// and clients.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

using sim::Duration;

// Text that stresses the writer's escaping; every chunk is valid UTF-8.
std::string text(std::size_t max_chunks) {
  static const std::vector<std::string> chunks = {
      "a", "redis", "-", "_", " ", "\"", "\\", "'", "#", "=", "[", "]", ".", "\t", "\n", "\x01",
      "\x7f", "\xc3\xa9" /* é */, "\xe6\x97\xa5" /* 日 */, "\"\"\"", "'''", "0x", "\r\n"};
  const auto n = *rc::gen::inRange<std::size_t>(0, max_chunks + 1);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += *rc::gen::elementOf(chunks);
  return out;
}

Duration duration(std::int64_t min = 0);

// Client steps of every kind, repeats nested up to two deep with small
// counts (a client may run at most kMaxExecutedSteps), raw commands of the
// kinds the loader allows to any Redis node.
std::vector<Step> steps(const std::vector<std::string>& nodes, const std::vector<std::string>& locks, int depth) {
  const auto key = [] { return fmt::format("k{}", text(2)); };
  const auto count = *rc::gen::inRange<std::size_t>(0, 6);
  std::vector<Step> out;
  for (std::size_t i = 0; i < count; ++i) {
    switch (*rc::gen::inRange(0, depth < 2 ? 14 : 12)) {
      case 0: {
        AcquireStep a{.key = key(), .deadline = duration(1)};
        if (*rc::gen::arbitrary<bool>()) a.ttl = std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(1, 100'000));
        a.single_attempt = *rc::gen::arbitrary<bool>();
        if (!locks.empty() && *rc::gen::arbitrary<bool>()) a.lock = *rc::gen::elementOf(locks);
        out.emplace_back(a);
        break;
      }
      case 7: {
        WatchStep w;
        if (*rc::gen::arbitrary<bool>()) w.renew_before = std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(1, 100'000));
        if (*rc::gen::arbitrary<bool>()) w.max_renewals = *rc::gen::inRange(0, 10);
        out.emplace_back(w);
        break;
      }
      case 8: out.emplace_back(WaitUntilStep{.condition = WaitCondition::time, .at = duration()}); break;
      case 9:
        out.emplace_back(WaitUntilStep{.condition = WaitCondition::lease_lost, .within = duration()});
        break;
      case 10: {
        ManagerStep m{.key = key(), .lock = {}, .ttl = {}, .waiters = {}};
        if (!locks.empty() && *rc::gen::arbitrary<bool>()) m.lock = *rc::gen::elementOf(locks);
        if (*rc::gen::arbitrary<bool>()) m.ttl = std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(1, 100'000));
        const auto waiters = *rc::gen::inRange<std::size_t>(1, 5);
        for (std::size_t w = 0; w < waiters; ++w) {
          ManagerWaiter x{.start_after = duration(), .deadline = duration(1), .stop_after = {}, .destroy_after = {},
                          .hold = duration(), .writes = *rc::gen::inRange(0, 3), .unlock = *rc::gen::arbitrary<bool>()};
          if (*rc::gen::arbitrary<bool>()) x.stop_after = duration();
          if (*rc::gen::arbitrary<bool>()) x.destroy_after = duration();
          m.waiters.push_back(x);
        }
        out.emplace_back(std::move(m));
        break;
      }
      case 11: {
        MutexStep m{.key = key(), .lock = {}, .call = *rc::gen::element(MutexCall::lock, MutexCall::try_lock,
                                                                       MutexCall::try_lock_for, MutexCall::unlock),
                    .timeout = duration(1)};
        if (!locks.empty() && *rc::gen::arbitrary<bool>()) m.lock = *rc::gen::elementOf(locks);
        out.emplace_back(std::move(m));
        break;
      }
      case 12: out.emplace_back(GuardStep{.steps = steps(nodes, locks, depth + 1)}); break;
      case 1: {
        const Duration lo = duration();
        out.emplace_back(HoldStep{.min = lo, .max = *rc::gen::arbitrary<bool>() ? lo : std::max(lo, duration())});
        break;
      }
      case 2:
        out.emplace_back(WriteStep{.count = *rc::gen::inRange(0, 4), .work = duration(), .timeout = duration(1),
                                   .careful = *rc::gen::arbitrary<bool>()});
        break;
      case 3: out.emplace_back(ExtendStep{.deadline = duration(1)}); break;
      case 4: out.emplace_back(ReleaseStep{}); break;
      case 5: out.emplace_back(SleepStep{.duration = duration()}); break;
      case 6: {
        const std::string k = key();
        const std::vector<std::vector<std::string>> commands = {
            {"GET", k}, {"DEL", k}, {"PING"}, {"PTTL", k}, {"SET", k, "x", "PX", "1000"},
            {"CLIENT", "KILL", "TYPE", "normal"}, {"WAIT", "1", "10"}, {"client", "id"}};
        out.emplace_back(CommandStep{.node = *rc::gen::elementOf(nodes), .argv = *rc::gen::elementOf(commands),
                                     .timeout = duration(1)});
        break;
      }
      default:
        out.emplace_back(RepeatStep{.times = *rc::gen::inRange(0, 4), .steps = steps(nodes, locks, depth + 1)});
    }
  }
  return out;
}

// Durations in every unit, from zero to the int64 limit.
Duration duration(std::int64_t min) {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  static const std::vector<std::int64_t> scales = {1, 1'000, 1'000'000, 1'000'000'000, 60'000'000'000,
                                                   3'600'000'000'000};
  const std::int64_t scale = *rc::gen::elementOf(scales);
  const std::int64_t count = *rc::gen::weightedOneOf<std::int64_t>({
      {6, rc::gen::inRange<std::int64_t>(0, 2'000)},
      {1, rc::gen::inRange<std::int64_t>(0, max / scale)},
  });
  const std::int64_t value = std::max(min, count * scale);
  return Duration(value);
}

Duration signed_duration() {
  const Duration d = duration();
  return *rc::gen::arbitrary<bool>() ? -d : d;
}

std::int64_t drift_ppm() { return *rc::gen::inRange<std::int64_t>(-999'999, 10'000'001); }

sim::ClockSpec clock() { return {.offset = signed_duration(), .drift_ppm = drift_ppm()}; }

sim::ProcessId process(std::size_t count) {
  return static_cast<sim::ProcessId>(*rc::gen::inRange<std::size_t>(0, count));
}

// `least` to 3 processes: a partition names at least one on each side.
std::vector<sim::ProcessId> processes(std::size_t count, std::size_t least = 0) {
  const auto n = *rc::gen::inRange<std::size_t>(least, 4);
  std::vector<sim::ProcessId> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(process(count));
  return ids;
}

sim::FaultAction action(std::size_t count) {
  switch (*rc::gen::inRange(0, 11)) {
    case 0: return sim::ProcessPause{process(count)};
    case 1: return sim::ProcessResume{process(count)};
    case 2: return sim::ProcessKill{process(count)};
    case 3: return sim::MachineCrash{process(count)};
    case 4: return sim::ProcessRestart{process(count)};
    case 5:
      return sim::LinkPartition{processes(count, 1), processes(count, 1), *rc::gen::arbitrary<bool>(),
                                *rc::gen::element(sim::PartitionMode::hold, sim::PartitionMode::reset)};
    case 6: return sim::LinkHeal{processes(count), processes(count), *rc::gen::arbitrary<bool>()};
    case 7:
      return sim::MessageDelay{process(count), process(count), duration(),
                               *rc::gen::inRange<std::uint32_t>(1, std::numeric_limits<std::uint32_t>::max())};
    case 8: return sim::ClockJump{process(count), signed_duration()};
    case 9: return sim::ClockDriftSet{process(count), drift_ppm()};
    default: return sim::ConnectionReset{process(count), process(count)};
  }
}

// Now and then, [expect.steps] and [expect.<client>] entries naming the
// scenario's clients: lock operations expect one of the lock's words,
// writes, commands and notes any text.
void expectations(Scenario& s) {
  if (*rc::gen::inRange(0, 3) == 0) {
    const auto count = *rc::gen::inRange<std::size_t>(1, 5);
    for (std::size_t i = 0; i < count; ++i) {
      const StepRef ref{.client = (*rc::gen::elementOf(s.clients)).name,
                        .kind = *rc::gen::element(history::OpKind::acquire, history::OpKind::release,
                                                  history::OpKind::extend, history::OpKind::write,
                                                  history::OpKind::command, history::OpKind::note),
                        .n = *rc::gen::weightedOneOf<int>({{4, rc::gen::inRange(1, 4)},
                                                           {1, rc::gen::inRange(1, 1'000'000'000)}})};
      const bool lock_op = ref.kind == history::OpKind::acquire || ref.kind == history::OpKind::release ||
                           ref.kind == history::OpKind::extend;
      // A write's, a command's or a note's word: any text, never empty.
      std::string word = fmt::format("w{}", text(3));
      if (lock_op) {
        word = *rc::gen::element<std::string>("acquired", "busy", "timed_out", "indeterminate", "lost", "extended",
                                              "released", "not_held", "pending", "absent");
      }
      s.expect_steps[ref] = word;
    }
  }
  if (*rc::gen::inRange(0, 3) == 0) {
    for (const ClientSpec& c : s.clients) {
      if (*rc::gen::arbitrary<bool>()) continue;
      ClientExpectation& e = s.expect_clients[c.name];
      if (*rc::gen::arbitrary<bool>()) e.acquired_by = sim::true_time(duration());
      if (*rc::gen::arbitrary<bool>()) e.min_grants = *rc::gen::inRange(1, std::numeric_limits<int>::max());
      if (*rc::gen::arbitrary<bool>()) e.max_wait = duration();
    }
  }
}

// An algorithm for `masters` masters with every option drawn.
AlgorithmSpec algorithm(std::size_t masters) {
  AlgorithmSpec a;
  a.kind = *rc::gen::element(Algorithm::naive, Algorithm::naive_setnx, Algorithm::single_node, Algorithm::redlock);
  // At least 2 ms: the default node timeout (ttl / 100, at least 1 ms) must be shorter.
  a.ttl = std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(2, 100'000'000));
  a.drift_ppm = *rc::gen::inRange<std::int64_t>(0, 1'000'000);
  const std::size_t nodes = a.kind == Algorithm::redlock ? masters : 1;
  if (*rc::gen::arbitrary<bool>()) a.quorum = *rc::gen::inRange<std::size_t>(nodes / 2 + 1, nodes + 1);
  if (*rc::gen::arbitrary<bool>()) {
    a.node_timeout = Duration(*rc::gen::inRange<std::int64_t>(1, std::chrono::nanoseconds(a.ttl).count()));
  }
  a.retry_count = *rc::gen::inRange(0, 1'000'000);
  a.retry_delay = std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(0, 1'000'000'000));
  a.retry_jitter = std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(0, 1'000'000'000));
  a.fencing = *rc::gen::arbitrary<bool>();
  a.return_early = *rc::gen::arbitrary<bool>();
  if (*rc::gen::inRange(0, 4) == 0) a.fan_out = lock::FanOutMode::sequential;
  return a;
}

// A Scenario validate() accepts. Names end in "#<index>" so they are unique
// whatever text comes before (a replica's "-replica-<i>" never ends so).
sim::LatencyModel latency() {
  switch (*rc::gen::inRange(0, 3)) {
    case 0: return sim::FixedLatency{duration()};
    case 1: {
      const Duration lo = duration();
      return sim::UniformLatency{lo, std::max(lo, duration())};
    }
    default: {
      const Duration base = duration(1);
      return sim::HeavyTailLatency{base, std::max(base, duration())};
    }
  }
}

// Sometimes: preset keys on Redis nodes (a fencing counter among them), and
// per-link latencies between distinct pairs of processes.
void cluster_extras(Scenario& s) {
  const std::vector<std::string> nodes = redis_node_names(s);
  if (*rc::gen::inRange(0, 3) == 0) {
    const auto presets = *rc::gen::inRange<std::size_t>(1, 4);
    for (std::size_t i = 0; i < presets; ++i) {
      const bool counter = *rc::gen::arbitrary<bool>();
      s.cluster.presets.push_back(
          {.node = *rc::gen::elementOf(nodes),
           .key = counter ? "k:fence" : fmt::format("k{}", text(3)),
           .value = counter ? std::to_string(*rc::gen::inRange<std::int64_t>(0, 1'000'000)) : text(6),
           .ttl = *rc::gen::arbitrary<bool>()
                      ? std::optional(std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(1, 1'000'000'000)))
                      : std::nullopt});
    }
  }
  if (*rc::gen::inRange(0, 3) == 0) {
    const std::vector<std::string> names = process_names(s);
    std::set<std::pair<std::string, std::string>> linked;
    const auto links = *rc::gen::inRange<std::size_t>(1, 4);
    for (std::size_t i = 0; i < links; ++i) {
      std::string a = *rc::gen::elementOf(names);
      std::string b = *rc::gen::elementOf(names);
      if (a == b || !linked.insert(std::minmax(a, b)).second) continue;
      s.cluster.links.push_back({.a = std::move(a), .b = std::move(b), .latency = latency()});
    }
  }
}

Scenario scenario() {
  Scenario s;
  s.name = text(4);
  s.description = text(12);
  s.seed = *rc::gen::arbitrary<std::uint64_t>();
  s.order = *rc::gen::element(sim::ReadyOrder::fifo, sim::ReadyOrder::random);
  s.duration = duration(1);
  if (*rc::gen::arbitrary<bool>()) s.trace_hash = *rc::gen::arbitrary<std::uint64_t>();

  s.cluster.latency = latency();
  s.cluster.discovery_delay = duration();
  const auto masters = *rc::gen::inRange<std::size_t>(1, 6);
  for (std::size_t i = 0; i < masters; ++i) {
    s.cluster.masters.push_back(
        {.name = fmt::format("{}#m{}", text(3), i),
         .persistence = *rc::gen::element(sim::redis::Persistence::none, sim::redis::Persistence::aof_always,
                                          sim::redis::Persistence::aof_everysec, sim::redis::Persistence::rdb),
         .restart_delay = duration(),
         .load_time = *rc::gen::arbitrary<bool>()
                          ? std::chrono::milliseconds(*rc::gen::inRange<std::int64_t>(0, 1'000'000'000))
                          : std::chrono::milliseconds(0),
         .clock = clock(),
         .replicas = *rc::gen::inRange(0, 3)});
  }

  s.algorithm = algorithm(masters);
  // Named locks, on the default masters or on a named subset of them.
  const auto locks = *rc::gen::inRange(0, 3);
  for (int i = 0; i < locks; ++i) {
    LockSpec l{.name = fmt::format("{}#l{}", text(2), i), .algorithm = {}, .masters = {}};
    if (*rc::gen::arbitrary<bool>()) {
      l.algorithm = algorithm(masters);
    } else {
      const auto kind = *rc::gen::element(Algorithm::naive, Algorithm::single_node, Algorithm::redlock);
      const std::size_t used = kind == Algorithm::redlock ? *rc::gen::inRange<std::size_t>(1, masters + 1) : 1;
      for (std::size_t m = 0; m < used; ++m) l.masters.push_back(s.cluster.masters[m].name);
      l.algorithm = algorithm(used);
      l.algorithm.kind = kind;
      l.algorithm.quorum.reset();
      if (kind == Algorithm::redlock && *rc::gen::arbitrary<bool>()) {
        l.algorithm.quorum = *rc::gen::inRange<std::size_t>(used / 2 + 1, used + 1);
      }
    }
    s.locks.push_back(std::move(l));
  }

  s.storage = {.name = fmt::format("{}#s", text(3)), .fenced = *rc::gen::arbitrary<bool>()};
  const auto clients = *rc::gen::inRange<std::size_t>(1, 5);
  const std::vector<std::string> nodes_by_name = redis_node_names(s);
  for (std::size_t i = 0; i < clients; ++i) {
    if (*rc::gen::inRange(0, 3) == 0) {
      ClientSpec c;
      c.name = fmt::format("{}#c{}", text(3), i);
      c.clock = clock();
      c.steps = steps(nodes_by_name, lock_names(s), 0);
      s.clients.push_back(c.normalized());  // steps that fit the shorthand load as it
      continue;
    }
    s.clients.push_back({.name = fmt::format("{}#c{}", text(3), i),
                         .clock = clock(),
                         .workload = {.key = fmt::format("k{}", text(3)),
                                      .iterations = *rc::gen::inRange(0, 1'000'000),
                                      .start_after = duration(),
                                      .acquire_timeout = duration(1),
                                      .writes = *rc::gen::inRange(0, 1'000),
                                      .hold = duration(),
                                      .write_timeout = duration(1),
                                      .think = duration(),
                                      .release = *rc::gen::arbitrary<bool>()}});
  }

  cluster_extras(s);

  const std::size_t count = process_names(s).size();
  const auto faults = *rc::gen::inRange<std::size_t>(0, 8);
  for (std::size_t i = 0; i < faults; ++i) {
    s.faults.push_back({sim::true_time(duration()), action(count)});
  }
  std::vector<std::string> promotable;
  for (const MasterSpec& m : s.cluster.masters) {
    if (m.replicas > 0) promotable.push_back(m.name);
  }
  if (!promotable.empty()) {
    const auto failovers = *rc::gen::inRange<std::size_t>(0, 3);
    for (std::size_t i = 0; i < failovers; ++i) {
      s.failovers.push_back({sim::true_time(duration()), *rc::gen::elementOf(promotable)});
    }
  }
  for (const std::string_view checker : kCheckers) {
    if (*rc::gen::arbitrary<bool>()) {
      s.expect[std::string(checker)] = *rc::gen::element(
          properties::Verdict::Kind::ok, properties::Verdict::Kind::violation, properties::Verdict::Kind::unknown);
    }
  }
  expectations(s);
  return s;
}

RC_GTEST_PROP(ScenarioFileRoundTrip, ParseOfToTomlIsTheSameScenario, ()) {
  const Scenario s = scenario();
  const std::vector<std::string> problems = validate(s);
  RC_ASSERT(problems.empty());  // the generator makes runnable scenarios only
  const std::string file = to_toml(s);
  Scenario back;
  try {
    back = parse_scenario(file, "generated.toml");
  } catch (const ScenarioError& e) {
    RC_FAIL(std::string(e.what()) + "\n--- the file:\n" + file);
  }
  RC_ASSERT(to_toml(back) == file);  // readable when it fails
  RC_ASSERT(back == s);
}

// The budget every loaded file is run under: enough to build the world and
// run its faults' first moments, small enough for hundreds of runs a second.
constexpr std::uint64_t kRunBudget = 10'000;

// Runs `s` under the budget; a failure names the file that reproduces it.
void run_under_budget(const Scenario& s, const std::string& file) {
  try {
    (void)run_scenario(s, {.max_events = kRunBudget});
  } catch (const std::exception& e) {
    RC_FAIL(std::string("loaded, then failed to run: ") + e.what() + "\n--- the file:\n" + file);
  }
}

RC_GTEST_PROP(ScenarioFileRuns, EveryScenarioThatValidatesRunsUnderABudget, ()) {
  const Scenario s = scenario();
  RC_ASSERT(validate(s).empty());
  run_under_budget(s, to_toml(s));
}

// Bytes of a written file overwritten at random (digits, signs, brackets,
// quotes, separators): most mutants fail to load, with a ScenarioError;
// every one that loads runs.
RC_GTEST_PROP(ScenarioFileRuns, EveryMutatedFileThatLoadsRuns, ()) {
  std::string file = to_toml(scenario());
  static constexpr std::string_view kBytes = "0123456789-+[]\",=. \nemsu";
  const auto edits = *rc::gen::inRange<std::size_t>(1, 6);
  for (std::size_t i = 0; i < edits; ++i) {
    const auto at = *rc::gen::inRange<std::size_t>(0, file.size());
    file[at] = kBytes[*rc::gen::inRange<std::size_t>(0, kBytes.size())];
  }
  Scenario s;
  try {
    s = parse_scenario(file, "mutant.toml");
  } catch (const ScenarioError&) {
    return;  // refused, with its file:line:column message: the loader's job
  }
  run_under_budget(s, file);
}

// Every duration writes as its largest exact unit and reads back exactly.
RC_GTEST_PROP(ScenarioFileRoundTrip, DurationTextIsExact, ()) {
  const Duration d = *rc::gen::weightedOneOf<Duration>({
      {3, rc::gen::exec([] { return signed_duration(); })},
      {1, rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t n) { return Duration(n); })},
  });
  const std::string t = duration_text(d);
  const auto back = parse_duration(t);
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == d);
}

}  // namespace
}  // namespace locklab::scenarios
