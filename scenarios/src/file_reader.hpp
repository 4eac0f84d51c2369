// scenarios/src/file_reader.hpp — strict, typed reading of one TOML table.
//
// Provides TableReader: a TOML table with its dotted path in the file
// ("client[1]"), which refuses keys it does not know and reads each value as
// the type and range a Scenario field needs, throwing ScenarioError at the
// value's line and column otherwise. Absent keys give nullopt, so a caller
// keeps the Scenario's default. Also check_before_parse(), the pre-parse
// guard against input toml++ cannot take safely.
//
// Deliberately absent: anything about which keys a scenario has; the readers
// in scenario_file_read.cpp and scenario_file_faults.cpp say that.
//
//   TableReader t(file, *root["algorithm"].as_table(), "algorithm");
//   t.allow_only({"kind", "ttl"});
//   if (auto ttl = t.millis("ttl", Sign::positive)) spec.ttl = *ttl;
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "toml.hpp"

#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios::detail {

// Which durations a field accepts.
enum class Sign : std::uint8_t { positive, non_negative, any };

// Throws a ScenarioError at a TOML source position.
[[noreturn]] void fail_at(std::string_view file, const toml::source_region& where, std::string field,
                          std::string problem);

// A short, printable rendering of a value for messages: "\"10 parsecs\"", "-3".
std::string value_text(const toml::node& node);

class TableReader {
 public:
  TableReader(std::string_view file, const toml::table& table, std::string path)
      : file_(file), table_(&table), path_(std::move(path)) {}

  // Every key not in `known` is an error naming it. `what` says whose keys
  // they are ("a partition fault").
  void allow_only(std::span<const std::string_view> known, std::string_view what) const;
  void allow_only(std::initializer_list<std::string_view> known, std::string_view what) const {
    allow_only(std::span<const std::string_view>(known.begin(), known.size()), what);
  }

  const toml::node* find(std::string_view key) const { return table_->get(key); }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::string field(std::string_view key) const;  // "client[1].hold"
  const std::string& path() const { return path_; }
  const toml::table& table() const { return *table_; }
  std::string_view file() const { return file_; }

  // An error at the key's value (or at the table when the key is absent).
  [[noreturn]] void fail(std::string_view key, std::string problem) const;

  std::optional<std::string> string(std::string_view key) const;
  std::string required_string(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  std::optional<int> small_int(std::string_view key, int min, int max) const;
  std::optional<sim::Duration> duration(std::string_view key, Sign sign) const;
  sim::Duration required_duration(std::string_view key, Sign sign) const;
  // A duration that must be a whole number of milliseconds (the lock's ttl
  // and retry timings are std::chrono::milliseconds).
  std::optional<std::chrono::milliseconds> millis(std::string_view key, Sign sign) const;
  const toml::table* subtable(std::string_view key) const;  // wrong type: error
  const toml::array* array(std::string_view key) const;     // wrong type: error

  // A string that must be one of `names`.
  template <typename E>
  std::optional<E> one_of(std::string_view key, std::span<const std::pair<E, std::string_view>> names) const {
    const std::optional<std::string> text = string(key);
    if (!text) return std::nullopt;
    for (const auto& [value, name] : names) {
      if (name == *text) return value;
    }
    std::string choices;
    for (const auto& [value, name] : names) {
      choices += (choices.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    }
    fail(key, "must be one of " + choices + " (got " + value_text(*find(key)) + ")");
  }

 private:
  std::string_view file_;
  const toml::table* table_;
  std::string path_;
};

// Duration text checked for a sign rule; the problem in words otherwise.
std::expected<sim::Duration, std::string> checked_duration(std::string_view text, Sign sign);

// Refuses, before toml++ parses it, input that toml++ 3.3 cannot take
// safely: nesting deeper than a scenario ever is (toml++ builds and destroys
// nested tables recursively, so half a megabyte of "a.a.a..." overflows the
// stack), and a non-ASCII character where toml++ asks whether it is
// whitespace (outside strings and comments, or first after a line-ending
// backslash), which reaches __builtin_unreachable in its generated Unicode
// tables for most code points. Throws a ScenarioError at the line and column.
void check_before_parse(std::string_view text, std::string_view file);

}  // namespace locklab::scenarios::detail
