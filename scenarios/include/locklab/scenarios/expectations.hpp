// locklab/scenarios/expectations.hpp — what a scenario expects of single
// operations and of single clients, beside the checkers' verdicts.
//
// Provides StepRef, one operation of a run named the way a file names it
// ("c2.acquire#1": the first acquire client c2 invoked, counting from 1 in
// invocation order across repeats), with its text in both directions;
// ClientExpectation, what one client must achieve (its first grant by a true
// time, a least number of grants, a longest wait for any grant); and the
// checks of both that validate() and the loader share. A scenario keeps them
// in Scenario::expect_steps and Scenario::expect_clients (scenario.hpp);
// expectation_mismatches() (runner.hpp) compares them with a run's history.
//
// Deliberately absent: any world or history. These are values and words.
//
//   const auto ref = step_ref_of("c2.acquire#1");   // {"c2", acquire, 1}
//   scenario.expect_steps[*ref] = "busy";
//   scenario.expect_clients["c1"] = {.min_grants = 2, .max_wait = 500ms};
#pragma once

#include <compare>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "locklab/history/operation.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::scenarios {

// The expected word for an operation that never completed (its process died,
// or the world ended first), and for one that was never invoked.
inline constexpr std::string_view kPendingWord = "pending";
inline constexpr std::string_view kAbsentWord = "absent";

// The n-th operation of `kind` that `client` invoked, n counted from 1.
struct StepRef {
  std::string client;
  history::OpKind kind = history::OpKind::acquire;
  int n = 1;

  auto operator<=>(const StepRef&) const = default;
  bool operator==(const StepRef&) const = default;
};

// "c2.acquire#1". A client name may itself hold dots and '#': the kind and
// the number come after the last '.' before the last '#', which is why the
// reading below is unambiguous.
std::string text_of(const StepRef& ref);
// The reference a key names, or what is wrong with it in words.
std::expected<StepRef, std::string> step_ref_of(std::string_view text);
// Empty when `expected` may be what the operation `ref` names comes to;
// otherwise the problem in words. An acquire, extend or release ends in one
// of the lock's outcome words (lock/outcome.hpp); a write, a command or a
// note in any text (a command's is its reply as redis-cli shows it); every
// kind may be expected "pending" or "absent".
std::string step_expectation_problem(const StepRef& ref, std::string_view expected);

// What one client must achieve in a run; unset fields are not judged. Times
// are the world's true time; an acquire's wait runs from its invocation to
// its completion.
struct ClientExpectation {
  std::optional<sim::TrueTime> acquired_by;  // the first ok acquire completed by then
  std::optional<int> min_grants;             // at least this many ok acquires (1 or more)
  std::optional<sim::Duration> max_wait;     // every ok acquire took at most this long

  bool operator==(const ClientExpectation&) const = default;
};

// A key as a scenario file writes it: bare when TOML allows it ("c-1"),
// otherwise a quoted string with escapes ("\"c2.acquire#1\"").
std::string toml_key(std::string_view key);

}  // namespace locklab::scenarios
