// Reading a client's `steps` (format 2): an array of inline tables, each
// naming its kind by the one step key it holds, whose value is the step's
// main parameter; the other keys are its options.
//
//   steps = [
//     { acquire = "job", deadline = "2s", ttl = "800ms", single_attempt = true },
//     { hold = "50ms" },  { hold = ["10ms", "90ms"] },
//     { write = 2, work = "10ms", timeout = "100ms", careful = true },
//     { extend = "1s" },  { release = true },  { sleep = "100ms" },
//     { repeat = 3, steps = [ { acquire = "job" }, { release = true } ] },
//     { command = ["CLIENT", "KILL", "TYPE", "normal"], node = "m1", timeout = "1s" },
//     { acquire = "job", lock = "fast" },  { watch = true, renew_before = "100ms", max_renewals = 3 },
//     { wait_until = "1500ms" },  { wait_until = "lease_lost", within = "2s" },
//   ]
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "file_parts.hpp"
#include "locklab/assert.hpp"
#include "steps_file.hpp"

namespace locklab::scenarios::detail {

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int kMaxRepeatDepth = 8;
constexpr std::size_t kMaxStepsPerList = 1000;

constexpr std::string_view kStepKinds[] = {"acquire", "hold",   "write",   "extend", "release",
                                           "sleep",   "repeat", "command", "watch",  "wait_until"};

class StepsReader {
 public:
  StepsReader(std::string_view file, std::span<const std::string> nodes, std::span<const std::string> locks)
      : file_(file), nodes_(nodes), locks_(locks) {}

  std::vector<Step> list(const TableReader& owner, std::string_view key, int depth) const {
    const toml::array* array = owner.array(key);
    LOCKLAB_ASSERT(array != nullptr, "steps read from a key that is absent");
    if (array->size() > kMaxStepsPerList) {
      owner.fail(key, fmt::format("more than {} steps in one list (use repeat)", kMaxStepsPerList));
    }
    std::vector<Step> steps;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& entry = *array->get(i);
      const std::string path = fmt::format("{}[{}]", owner.field(key), i);
      const auto* table = entry.as_table();
      if (table == nullptr) {
        fail_at(file_, entry.source(), path,
                "must be a table naming its step, such as { acquire = \"lock\" } (got " + value_text(entry) + ")");
      }
      steps.push_back(one(TableReader(file_, *table, path), depth));
    }
    return steps;
  }

 private:
  Step one(const TableReader& t, int depth) const {
    std::string_view kind;
    for (std::string_view k : kStepKinds) {
      if (!t.has(k)) continue;
      if (!kind.empty()) {
        t.fail(k, fmt::format("a step has one kind: this one says both {} and {}", kind, k));
      }
      kind = k;
    }
    if (kind.empty()) {
      fail_at(file_, t.table().source(), t.path(),
              "names no step kind (one of acquire, hold, write, extend, release, sleep, repeat, command, watch, "
              "wait_until)");
    }
    if (kind == "acquire") return acquire(t);
    if (kind == "hold") return hold(t);
    if (kind == "write") return write(t);
    if (kind == "extend") return extend(t);
    if (kind == "release") return release(t);
    if (kind == "sleep") return sleep(t);
    if (kind == "repeat") return repeat(t, depth);
    if (kind == "watch") return watch(t);
    if (kind == "wait_until") return wait_until(t);
    return command(t);
  }

  Step acquire(const TableReader& t) const {
    t.allow_only({"acquire", "deadline", "ttl", "single_attempt", "lock"}, "an acquire step");
    AcquireStep s;
    s.key = t.required_string("acquire");
    if (s.key.empty()) t.fail("acquire", "names the key to lock, which must not be empty");
    if (auto d = t.duration("deadline", Sign::positive)) s.deadline = *d;
    if (auto ttl = t.millis("ttl", Sign::positive)) s.ttl = *ttl;
    if (auto b = t.boolean("single_attempt")) s.single_attempt = *b;
    if (auto lock = t.string("lock")) {
      std::vector<std::string> names(locks_.begin(), locks_.end());
      if (std::string why = lock_problem(*lock, names); !why.empty()) t.fail("lock", why);
      if (lock->empty()) t.fail("lock", "names no lock: leave it out for the scenario's own ([algorithm])");
      s.lock = std::move(*lock);
    }
    return s;
  }

  static Step watch(const TableReader& t) {
    t.allow_only({"watch", "renew_before", "max_renewals"}, "a watch step");
    if (t.boolean("watch") != true) t.fail("watch", "is written watch = true");
    WatchStep s;
    if (auto d = t.millis("renew_before", Sign::positive)) s.renew_before = *d;
    if (auto n = t.small_int("max_renewals", 0, static_cast<int>(kIntMax))) s.max_renewals = *n;
    return s;
  }

  static Step wait_until(const TableReader& t) {
    const std::string what = t.required_string("wait_until");
    WaitUntilStep s;
    if (what == "lease_lost") {
      t.allow_only({"wait_until", "within"}, "a wait_until step");
      s.condition = WaitCondition::lease_lost;
      if (auto d = t.duration("within", Sign::non_negative)) s.within = *d;
      return s;
    }
    t.allow_only({"wait_until"}, "a wait_until step on a time");
    auto at = checked_duration(what, Sign::non_negative);
    if (!at) {
      t.fail("wait_until", "is a true time such as \"1500ms\" or a condition (\"lease_lost\"); " + at.error());
    }
    s.condition = WaitCondition::time;
    s.at = *at;
    return s;
  }

  Step hold(const TableReader& t) const {
    t.allow_only({"hold"}, "a hold step");
    if (const toml::array* range = t.find("hold")->as_array()) {
      if (range->size() != 2) t.fail("hold", "a random hold is [min, max], two durations");
      const sim::Duration min = duration_in(t, *range, 0);
      const sim::Duration max = duration_in(t, *range, 1);
      if (max < min) t.fail("hold", "a random hold is [min, max], with min no more than max");
      return HoldStep{.min = min, .max = max};
    }
    const sim::Duration d = t.required_duration("hold", Sign::non_negative);
    return HoldStep{.min = d, .max = d};
  }

  sim::Duration duration_in(const TableReader& t, const toml::array& range, std::size_t i) const {
    const toml::node& node = *range.get(i);
    const std::string field = fmt::format("{}[{}]", t.field("hold"), i);
    const auto* text = node.as_string();
    if (text == nullptr) fail_at(file_, node.source(), field, "must be a duration such as \"50ms\" (got " + value_text(node) + ")");
    auto d = checked_duration(text->get(), Sign::non_negative);
    if (!d) fail_at(file_, node.source(), field, d.error());
    return *d;
  }

  static Step write(const TableReader& t) {
    t.allow_only({"write", "work", "timeout", "careful"}, "a write step");
    WriteStep s;
    if (auto n = t.small_int("write", 0, static_cast<int>(kIntMax))) s.count = *n;
    if (auto d = t.duration("work", Sign::non_negative)) s.work = *d;
    if (auto d = t.duration("timeout", Sign::positive)) s.timeout = *d;
    if (auto b = t.boolean("careful")) s.careful = *b;
    return s;
  }

  static Step extend(const TableReader& t) {
    t.allow_only({"extend"}, "an extend step");
    return ExtendStep{.deadline = t.required_duration("extend", Sign::positive)};
  }

  static Step release(const TableReader& t) {
    t.allow_only({"release"}, "a release step");
    if (t.boolean("release") != true) t.fail("release", "is written release = true");
    return ReleaseStep{};
  }

  static Step sleep(const TableReader& t) {
    t.allow_only({"sleep"}, "a sleep step");
    return SleepStep{.duration = t.required_duration("sleep", Sign::non_negative)};
  }

  Step repeat(const TableReader& t, int depth) const {
    t.allow_only({"repeat", "steps"}, "a repeat step");
    if (depth >= kMaxRepeatDepth) t.fail("repeat", fmt::format("repeats nested more than {} deep", kMaxRepeatDepth));
    RepeatStep s;
    s.times = *t.small_int("repeat", 0, static_cast<int>(kIntMax));
    if (!t.has("steps")) t.fail("repeat", "needs the steps to repeat: steps = [ ... ]");
    s.steps = list(t, "steps", depth + 1);
    return s;
  }

  Step command(const TableReader& t) const {
    t.allow_only({"command", "node", "timeout"}, "a command step");
    CommandStep s;
    const toml::array* argv = t.array("command");
    if (argv->empty()) t.fail("command", "must name a command, such as [\"DEL\", \"lock\"]");
    for (std::size_t i = 0; i < argv->size(); ++i) {
      const toml::node& word = *argv->get(i);
      const auto* text = word.as_string();
      if (text == nullptr) {
        fail_at(file_, word.source(), fmt::format("{}[{}]", t.field("command"), i),
                "must be a string (got " + value_text(word) + ")");
      }
      s.argv.push_back(text->get());
    }
    if (std::string why = scenarios::command_problem(s.argv); !why.empty()) t.fail("command", why);
    s.node = t.required_string("node");
    if (std::find(nodes_.begin(), nodes_.end(), s.node) == nodes_.end()) {
      t.fail("node", fmt::format("names no Redis node (got \"{}\"; the nodes are the masters and their replicas)", s.node));
    }
    if (auto d = t.duration("timeout", Sign::positive)) s.timeout = *d;
    return s;
  }

  std::string_view file_;
  std::span<const std::string> nodes_;
  std::span<const std::string> locks_;
};

}  // namespace

std::vector<Step> read_steps(const TableReader& client, std::span<const std::string> redis_nodes,
                             std::span<const std::string> locks) {
  return StepsReader(client.file(), redis_nodes, locks).list(client, "steps", 0);
}

}  // namespace locklab::scenarios::detail
