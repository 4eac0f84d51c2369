// locklab/scenarios/steps.hpp — a client's workload as a list of steps.
//
// Provides Step: one thing a lock client does — acquire a lease, hold it,
// write to the protected storage under it, extend it, release it, hand it to
// a watchdog, sleep, wait until a condition (a test oracle), repeat a list
// of steps, or send a raw command to one node — and
// steps_of(ClientWorkload), the steps the shorthand workload
// (iterations/hold/writes) stands for, with shorthand_of(), its inverse
// where one exists (the writer uses the shorter form whenever it fits).
//
// A client holds at most one lease, from whichever lock its last acquire
// used. The lease steps (hold, write, extend, release, watch) act on it and do nothing when the client holds none (its last
// acquire failed, or it released): a workload reads as the happy path, and a
// refused acquire skips to the next acquire as the shorthand workload does.
// An acquire while holding replaces the lease without releasing it (a
// careless holder; the shorthand's release = false).
//
// Plain values: compared, copied, written and read (scenario_file.hpp), run
// by the step interpreter. Not thread-safe to mutate concurrently; const
// values may be shared.
//
//   std::vector<Step> steps = {AcquireStep{.key = "job"}, HoldStep{.min = 50ms, .max = 50ms},
//                              WriteStep{}, ReleaseStep{}};
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "locklab/sim/lock_client.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::scenarios {

struct Step;

// Asks a lock for a lease on `key` until `deadline` from now (the client's
// clock), with the algorithm's retry policy or a single attempt, for the
// algorithm's TTL or this step's own. `lock` names one of the scenario's
// named locks ([[lock]]); empty: the scenario's own ([algorithm]).
struct AcquireStep {
  std::string key = "lock";
  sim::Duration deadline = std::chrono::seconds(2);
  std::optional<std::chrono::milliseconds> ttl;  // unset: the algorithm's
  bool single_attempt = false;
  std::string lock;

  bool operator==(const AcquireStep&) const = default;
};

// Holds the lease, doing nothing with it, for a duration drawn uniformly
// from [min, max] on the client's own random stream (min == max: fixed).
struct HoldStep {
  sim::Duration min{};
  sim::Duration max{};

  bool operator==(const HoldStep&) const = default;
};

// `count` rounds of: check the lease is still valid by the client's clock
// (careful: that it outlasts the work and the write's timeout too), work for
// `work`, write to the storage with the lease's fencing token. A round whose
// check fails ends the step.
struct WriteStep {
  int count = 1;
  sim::Duration work = std::chrono::milliseconds(10);
  sim::Duration timeout = std::chrono::milliseconds(100);
  bool careful = false;

  bool operator==(const WriteStep&) const = default;
};

// Renews the lease for another TTL, giving up at `deadline` from now.
struct ExtendStep {
  sim::Duration deadline = std::chrono::seconds(2);

  bool operator==(const ExtendStep&) const = default;
};

// Releases the lease (compare-and-delete) and forgets it.
struct ReleaseStep {
  bool operator==(const ReleaseStep&) const = default;
};

// Sleeps on the client's clock, holding or not.
struct SleepStep {
  sim::Duration duration{};

  bool operator==(const SleepStep&) const = default;
};

// A raw command to one node (a master or replica by name), its reply
// recorded in the history. The file loader allows only the commands the
// simulated node implements.
struct CommandStep {
  std::string node;
  std::vector<std::string> argv;
  sim::Duration timeout = std::chrono::seconds(1);

  bool operator==(const CommandStep&) const = default;
};

// Hands the lease to a watchdog (lockimpl's AutoExtender) that renews it
// whenever `renew_before` of its validity is left (unset: a third of the
// TTL), at most `max_renewals` times (unset: without limit). Each renewal is
// recorded as an extend, the loss notification as a note. Until the next
// acquire or release the lease steps use the watched lease: a write checks
// the watchdog still holds it, release stops the watchdog and releases, and
// extend does nothing (the watchdog extends).
struct WatchStep {
  std::optional<std::chrono::milliseconds> renew_before;
  std::optional<int> max_renewals;

  bool operator==(const WatchStep&) const = default;
};

// A test oracle of the harness, never the lock's own code: waits until a
// condition holds, at most `within` (a time: until that true time), and
// records a note saying whether and when it held.
enum class WaitCondition : std::uint8_t {
  time,        // the world's true time reaches `at`
  lease_lost,  // the client holds no valid lease (by its own clock, or its watchdog said so)
};
struct WaitUntilStep {
  WaitCondition condition = WaitCondition::time;
  sim::Duration at{};  // time: since the world's start
  sim::Duration within = std::chrono::seconds(1);  // lease_lost: the bound

  bool operator==(const WaitUntilStep&) const = default;
};

// The steps, `times` times over.
struct RepeatStep {
  int times = 1;
  std::vector<Step> steps;

  bool operator==(const RepeatStep&) const;
};

struct Step {
  using Kind = std::variant<AcquireStep, HoldStep, WriteStep, ExtendStep, ReleaseStep, SleepStep,
                            CommandStep, RepeatStep, WatchStep, WaitUntilStep>;
  Kind kind;

  Step(AcquireStep s) : kind(std::move(s)) {}   // NOLINT: a step is any of these
  Step(HoldStep s) : kind(s) {}                 // NOLINT
  Step(WriteStep s) : kind(s) {}                // NOLINT
  Step(ExtendStep s) : kind(s) {}               // NOLINT
  Step(ReleaseStep s) : kind(s) {}              // NOLINT
  Step(SleepStep s) : kind(s) {}                // NOLINT
  Step(CommandStep s) : kind(std::move(s)) {}   // NOLINT
  Step(RepeatStep s) : kind(std::move(s)) {}    // NOLINT
  Step(WatchStep s) : kind(s) {}                // NOLINT
  Step(WaitUntilStep s) : kind(s) {}            // NOLINT

  bool operator==(const Step&) const = default;
};

inline bool RepeatStep::operator==(const RepeatStep& other) const {
  return times == other.times && steps == other.steps;
}

// The step kind's name in files and messages: "acquire", "hold", ...
std::string_view step_name(const Step& step);

// The steps the shorthand workload stands for: sleep start_after; then
// `iterations` times: acquire, write (writes rounds of hold-then-write),
// release (unless release = false), sleep think.
std::vector<Step> steps_of(const sim::ClientWorkload& workload);

// The shorthand workload whose steps_of() is exactly `steps`, if any.
std::optional<sim::ClientWorkload> shorthand_of(const std::vector<Step>& steps);

// Why a command step may not send `argv`, or "" when it may: only commands
// the simulated node serves (sim/redis/commands.hpp), CLIENT only as KILL or
// ID, no WAIT with timeout 0 (it may block forever).
std::string command_problem(const std::vector<std::string>& argv);

// The names an acquire step may use: the scenario's named locks.
std::string lock_problem(std::string_view lock, const std::vector<std::string>& locks);

// Every problem of `steps` as "<path>[i].<field>: <why>" (validate()'s
// words); `redis_nodes` are the names a command step may send to, `locks`
// the named locks an acquire may use.
std::vector<std::string> steps_problems(const std::vector<Step>& steps, const std::vector<std::string>& redis_nodes,
                                        const std::vector<std::string>& locks, const std::string& path);

// The named locks the steps use (acquire steps' `lock`), each once, sorted;
// "" (the scenario's own lock) is not among them.
std::vector<std::string> locks_used(const std::vector<Step>& steps);

// Steps in all, counting each repeat's body once per time (saturating), for
// limits on what a file may ask for.
std::uint64_t executed_steps(const std::vector<Step>& steps);

// The most steps one client may run. A step without a lease does nothing
// and takes no time, so repeats of such steps would spin without bound in
// one instant of the world (no event budget sees them); a million steps is
// far past any workload a scenario states.
inline constexpr std::uint64_t kMaxExecutedSteps = 1'000'000;

// Why `steps` run too many steps in all (kMaxExecutedSteps), or "" when
// they do not: the loader's and validate()'s words alike.
std::string step_count_problem(const std::vector<Step>& steps);

}  // namespace locklab::scenarios
