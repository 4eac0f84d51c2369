// locklab/scenarios/scenario_file.hpp — scenario files (TOML) in and out.
//
// Provides parse_scenario() and load_scenario(), which read a scenario file
// strictly into a Scenario, to_toml(), which writes one back,
// replace_trace_hash(), which edits the one value `locklab check
// --update-hashes` rewrites, and ScenarioError, the one exception a bad file
// gives. docs/scenarios.md describes the format in full.
//
// Loading is strict, because a scenario file is a reproducer: a typo that
// silently fell back to a default would replay a different world. An unknown
// key at any level, a value of the wrong TOML type, a duration without a known
// unit, an integer out of range, a duplicate process name or a fault naming a
// process that does not exist is an error naming the file, line, column and
// field; then validate() (scenario.hpp) runs on the result and any problem it
// finds is reported the same way. Input over kMaxScenarioBytes, or nested
// deeper than a scenario ever is, is refused before the TOML parser sees it,
// so no input can exhaust the stack.
//
// to_toml() writes every field (defaults included), durations in the largest
// unit that is exact ("150ms", "2s", "1500us"), faults naming processes by
// name (process_names()), so that parse_scenario(to_toml(s)) == s for every
// Scenario that validate() accepts and whose strings are valid UTF-8.
//
// Deliberately absent: running anything, and exit codes (the CLI maps a
// ScenarioError to exit code 2).
//
//   try {
//     Scenario s = load_scenario("scenarios/redlock-clock-jump.toml");
//     RunReport r = run_scenario(s);
//   } catch (const ScenarioError& e) {
//     std::cerr << e.what() << "\n";  // "f.toml:12:7: client[1].hold: bad duration ('10 parsecs') ..."
//     return 2;
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/scenarios/scenario.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::scenarios {

// Larger files are refused unread: a scenario is a few kilobytes.
inline constexpr std::size_t kMaxScenarioBytes = std::size_t{1} << 20;

class ScenarioError : public std::runtime_error {
 public:
  // line and column are 1-based; 0 when unknown (an unreadable file, or a
  // problem of the whole scenario). field is a dotted path into the file
  // ("client[1].hold", "fault[3].process"), empty when no field is to blame.
  ScenarioError(std::string file, std::uint32_t line, std::uint32_t column, std::string field,
                std::string problem);

  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string field;
  std::string problem;  // what was wrong, without the location
};

// Where one of Scenario::faults stands in its file: the field path of its
// [[fault]] table ("fault[4]": failovers are [[fault]] tables too, so it may
// differ from the index in Scenario::faults) and the table's line.
struct FaultPlace {
  std::string field;
  std::uint32_t line = 0;

  bool operator==(const FaultPlace&) const = default;
};

// Reads a scenario from TOML text; file_name is only used in errors.
// Throws ScenarioError, and nothing else, for any input. With `places`, it
// also receives one FaultPlace per Scenario::faults entry, in that order.
Scenario parse_scenario(std::string_view text, std::string_view file_name,
                        std::vector<FaultPlace>* places = nullptr);

// Reads the file; an unreadable file is a ScenarioError too.
Scenario load_scenario(const std::filesystem::path& path, std::vector<FaultPlace>* places = nullptr);

// The scenario as a file that parse_scenario() reads back equal.
std::string to_toml(const Scenario& scenario);

// The text with its top-level trace_hash value replaced by `hash`, written as
// to_toml() writes it ("0x" and 16 hex digits); every other byte (comments,
// layout, a comment after the value) as it was. The problem in words, and no
// text, unless the TOML parser finds exactly one top-level trace_hash (two are
// a duplicate key) and its line reads trace_hash = "0x<1 to 16 hex digits>".
std::expected<std::string, std::string> replace_trace_hash(std::string_view text, std::uint64_t hash);

// Durations as the file writes them: an optional sign, an integer and one of
// ns, us, ms, s, m, h ("150ms", "-2s"). Exact; no fractions, no spaces.
std::expected<sim::Duration, std::string> parse_duration(std::string_view text);
// The largest unit that represents d exactly: "2s", "1500us", "0s".
std::string duration_text(sim::Duration d);

}  // namespace locklab::scenarios
