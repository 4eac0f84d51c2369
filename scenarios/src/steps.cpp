// Step names, the shorthand workload as steps, and back.
#include "locklab/scenarios/steps.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "locklab/sim/detail/overloaded.hpp"
#include "locklab/sim/redis/commands.hpp"

namespace locklab::scenarios {

std::string_view step_name(const Step& step) {
  return std::visit(sim::detail::Overloaded{
                        [](const AcquireStep&) { return "acquire"; },
                        [](const HoldStep&) { return "hold"; },
                        [](const WriteStep&) { return "write"; },
                        [](const ExtendStep&) { return "extend"; },
                        [](const ReleaseStep&) { return "release"; },
                        [](const SleepStep&) { return "sleep"; },
                        [](const CommandStep&) { return "command"; },
                        [](const RepeatStep&) { return "repeat"; },
                        [](const WatchStep&) { return "watch"; },
                        [](const WaitUntilStep&) { return "wait_until"; },
                    },
                    step.kind);
}

// The one place the shorthand's meaning is written down; shorthand_of()
// below reads the same shape back.
std::vector<Step> steps_of(const sim::ClientWorkload& w) {
  RepeatStep round{.times = w.iterations, .steps = {}};
  round.steps.emplace_back(AcquireStep{.key = w.key, .deadline = w.acquire_timeout, .ttl = {},
                                       .single_attempt = false});
  round.steps.emplace_back(
      WriteStep{.count = w.writes, .work = w.hold, .timeout = w.write_timeout, .careful = w.careful});
  if (w.release) round.steps.emplace_back(ReleaseStep{});
  round.steps.emplace_back(SleepStep{.duration = w.think});
  std::vector<Step> steps;
  steps.emplace_back(SleepStep{.duration = w.start_after});
  steps.emplace_back(std::move(round));
  return steps;
}

std::optional<sim::ClientWorkload> shorthand_of(const std::vector<Step>& steps) {
  if (steps.size() != 2) return std::nullopt;
  const auto* start = std::get_if<SleepStep>(&steps[0].kind);
  const auto* round = std::get_if<RepeatStep>(&steps[1].kind);
  if (start == nullptr || round == nullptr) return std::nullopt;
  const std::vector<Step>& body = round->steps;
  if (body.size() != 3 && body.size() != 4) return std::nullopt;
  const auto* acquire = std::get_if<AcquireStep>(&body[0].kind);
  const auto* write = std::get_if<WriteStep>(&body[1].kind);
  const bool releases = body.size() == 4;
  if (releases && !std::holds_alternative<ReleaseStep>(body[2].kind)) return std::nullopt;
  const auto* think = std::get_if<SleepStep>(&body.back().kind);
  if (acquire == nullptr || write == nullptr || think == nullptr) return std::nullopt;
  if (acquire->ttl || acquire->single_attempt || !acquire->lock.empty()) return std::nullopt;
  sim::ClientWorkload w{.key = acquire->key,
                        .iterations = round->times,
                        .start_after = start->duration,
                        .acquire_timeout = acquire->deadline,
                        .writes = write->count,
                        .hold = write->work,
                        .write_timeout = write->timeout,
                        .think = think->duration,
                        .release = releases,
                        .careful = write->careful};
  return w;
}


std::string command_problem(const std::vector<std::string>& argv) {
  if (argv.empty()) return "names no command";
  using sim::redis::is_word;
  const std::string& name = argv[0];
  if (!sim::redis::node_serves(name)) {
    return fmt::format("\"{}\" is not a command the simulated node serves (PING, SET, SETNX, GET, DEL, EXISTS, "
                       "EXPIRE, PEXPIRE, PEXPIREAT, PTTL, TTL, INCR, EVAL, EVALSHA, SCRIPT, WAIT, REPLICAOF, "
                       "CLIENT KILL, CLIENT ID)",
                       name);
  }
  if (is_word(name, "client") && (argv.size() < 2 || (!is_word(argv[1], "kill") && !is_word(argv[1], "id")))) {
    return "of CLIENT, the simulated node serves KILL and ID only";
  }
  if (is_word(name, "wait") && argv.size() == 3 && argv[2] == "0") {
    return "WAIT with timeout 0 blocks until enough replicas answer, perhaps forever: give a timeout in ms";
  }
  return {};
}

std::string lock_problem(std::string_view lock, const std::vector<std::string>& locks) {
  if (lock.empty() || std::find(locks.begin(), locks.end(), lock) != locks.end()) return {};
  std::string names;
  for (const std::string& l : locks) names += (names.empty() ? "" : ", ") + l;
  return fmt::format("names no lock (got \"{}\"; the scenario's named locks: {})", lock,
                     names.empty() ? "none" : names);
}

std::vector<std::string> locks_used(const std::vector<Step>& steps) {
  std::vector<std::string> used;
  for (const Step& step : steps) {
    if (const auto* a = std::get_if<AcquireStep>(&step.kind); a != nullptr && !a->lock.empty()) {
      used.push_back(a->lock);
    } else if (const auto* r = std::get_if<RepeatStep>(&step.kind)) {
      std::vector<std::string> inner = locks_used(r->steps);
      used.insert(used.end(), inner.begin(), inner.end());
    }
  }
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  return used;
}

std::vector<std::string> steps_problems(const std::vector<Step>& steps, const std::vector<std::string>& redis_nodes,
                                        const std::vector<std::string>& locks, const std::string& path) {
  std::vector<std::string> problems;
  const auto problem = [&](std::size_t i, std::string_view field, std::string_view why) {
    problems.push_back(fmt::format("{}[{}]{}{}: {}", path, i, field.empty() ? "" : ".", field, why));
  };
  const auto negative = [](sim::Duration d) { return d < sim::Duration::zero(); };
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::visit(sim::detail::Overloaded{
                   [&](const AcquireStep& a) {
                     if (a.key.empty()) problem(i, "key", "must not be empty");
                     if (a.deadline <= sim::Duration::zero()) problem(i, "deadline", "must be positive");
                     if (a.ttl && a.ttl->count() <= 0) problem(i, "ttl", "must be positive");
                     if (std::string why = lock_problem(a.lock, locks); !why.empty()) problem(i, "lock", why);
                   },
                   [&](const HoldStep& h) {
                     if (negative(h.min) || h.max < h.min) problem(i, "hold", "must be 0 <= min <= max");
                   },
                   [&](const WriteStep& w) {
                     if (w.count < 0) problem(i, "write", "the count must not be negative");
                     if (negative(w.work)) problem(i, "work", "must not be negative");
                     if (w.timeout <= sim::Duration::zero()) problem(i, "timeout", "must be positive");
                   },
                   [&](const ExtendStep& e) {
                     if (e.deadline <= sim::Duration::zero()) problem(i, "extend", "the deadline must be positive");
                   },
                   [](const ReleaseStep&) {},
                   [&](const SleepStep& s) {
                     if (negative(s.duration)) problem(i, "sleep", "must not be negative");
                   },
                   [&](const CommandStep& c) {
                     if (std::string why = command_problem(c.argv); !why.empty()) problem(i, "command", why);
                     if (std::find(redis_nodes.begin(), redis_nodes.end(), c.node) == redis_nodes.end()) {
                       problem(i, "node", fmt::format("names no Redis node (got \"{}\")", c.node));
                     }
                     if (c.timeout <= sim::Duration::zero()) problem(i, "timeout", "must be positive");
                   },
                   [&](const RepeatStep& r) {
                     if (r.times < 0) problem(i, "repeat", "must not be negative");
                     std::vector<std::string> inner =
                         steps_problems(r.steps, redis_nodes, locks, fmt::format("{}[{}].steps", path, i));
                     problems.insert(problems.end(), inner.begin(), inner.end());
                   },
                   [&](const WatchStep& w) {
                     if (w.renew_before && w.renew_before->count() <= 0) {
                       problem(i, "renew_before", "must be positive");
                     }
                     if (w.max_renewals && *w.max_renewals < 0) problem(i, "max_renewals", "must not be negative");
                   },
                   [&](const WaitUntilStep& w) {
                     if (negative(w.at)) problem(i, "wait_until", "the time must not be negative");
                     if (negative(w.within)) problem(i, "within", "must not be negative");
                   },
               },
               steps[i].kind);
  }
  return problems;
}

std::uint64_t executed_steps(const std::vector<Step>& steps) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t total = 0;
  for (const Step& step : steps) {
    std::uint64_t here = 1;
    if (const auto* repeat = std::get_if<RepeatStep>(&step.kind)) {
      const std::uint64_t body = executed_steps(repeat->steps);
      const auto times = static_cast<std::uint64_t>(std::max(0, repeat->times));
      here = body != 0 && times > kMax / body ? kMax : body * times;
      here = here == kMax ? kMax : here + 1;
    }
    total = here > kMax - total ? kMax : total + here;
  }
  return total;
}

std::string step_count_problem(const std::vector<Step>& steps) {
  const std::uint64_t n = executed_steps(steps);
  if (n <= kMaxExecutedSteps) return {};
  return fmt::format("runs {} steps in all, more than the {} a client may (mind the repeats)",
                     n == std::numeric_limits<std::uint64_t>::max() ? "over 2^64" : std::to_string(n),
                     kMaxExecutedSteps);
}

}  // namespace locklab::scenarios
