// Strict, typed reading of TOML values, and the errors that name their place.
#include <fmt/format.h>

#include <limits>

#include "file_reader.hpp"
#include "toml_escape.hpp"

namespace locklab::scenarios {

namespace {

std::string located(const std::string& file, std::uint32_t line, std::uint32_t column,
                    const std::string& field, const std::string& problem) {
  std::string text = file;
  if (line != 0) text += fmt::format(":{}:{}", line, column);
  text += ": ";
  if (!field.empty()) text += field + ": ";
  return text + problem;
}

}  // namespace

ScenarioError::ScenarioError(std::string file_, std::uint32_t line_, std::uint32_t column_,
                             std::string field_, std::string problem_)
    : std::runtime_error(located(file_, line_, column_, field_, problem_)),
      file(std::move(file_)),
      line(line_),
      column(column_),
      field(std::move(field_)),
      problem(std::move(problem_)) {}

}  // namespace locklab::scenarios

namespace locklab::scenarios::detail {

namespace {

// Quoted, with control characters escaped and long text cut (at a UTF-8
// character boundary), so an error message stays one readable line.
std::string quote_text(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string_view shown = text;
  bool cut = false;
  if (shown.size() > kMax) {
    std::size_t end = kMax;
    while (end > 0 && (static_cast<unsigned char>(shown[end]) & 0xC0) == 0x80) --end;
    shown = shown.substr(0, end);
    cut = true;
  }
  return detail::quoted_basic_string(shown, cut ? "..." : "");
}

bool bare_key(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string key_text(std::string_view key) { return bare_key(key) ? std::string(key) : quote_text(key); }

std::string range_problem(std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value < min) {
    if (min == 0) return fmt::format("must not be negative (got {})", value);
    return fmt::format("must be at least {} (got {})", min, value);
  }
  return fmt::format("must be at most {} (got {})", max, value);
}

}  // namespace

void fail_at(std::string_view file, const toml::source_region& where, std::string field,
             std::string problem) {
  throw ScenarioError(std::string(file), where.begin.line, where.begin.column, std::move(field),
                      std::move(problem));
}

std::string value_text(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return quote_text(node.as_string()->get());
    case toml::node_type::integer: return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point: return fmt::format("{}", node.as_floating_point()->get());
    case toml::node_type::boolean: return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date or time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::expected<sim::Duration, std::string> checked_duration(std::string_view text, Sign sign) {
  const auto d = parse_duration(text);
  if (!d) return std::unexpected(fmt::format("bad duration: {} (got {})", d.error(), quote_text(text)));
  if (sign == Sign::positive && *d <= sim::Duration::zero()) {
    return std::unexpected(fmt::format("must be positive (got {})", quote_text(text)));
  }
  if (sign == Sign::non_negative && *d < sim::Duration::zero()) {
    return std::unexpected(fmt::format("must not be negative (got {})", quote_text(text)));
  }
  return *d;
}

void TableReader::allow_only(std::span<const std::string_view> known, std::string_view what) const {
  for (auto&& [key, value] : *table_) {
    bool ok = false;
    for (const std::string_view k : known) ok = ok || k == key.str();
    if (ok) continue;
    std::string list;
    for (const std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    fail_at(file_, key.source(), field(key.str()),
            fmt::format("unknown key in {} (known keys: {})", what, list));
  }
}

std::string TableReader::field(std::string_view key) const {
  return path_.empty() ? key_text(key) : path_ + "." + key_text(key);
}

void TableReader::fail(std::string_view key, std::string problem) const {
  const toml::node* node = find(key);
  fail_at(file_, node != nullptr ? node->source() : table_->source(), field(key), std::move(problem));
}

std::optional<std::string> TableReader::string(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  fail(key, "must be a string (got " + value_text(*node) + ")");
}

std::string TableReader::required_string(std::string_view key) const {
  if (std::optional<std::string> s = string(key)) return std::move(*s);
  fail(key, "is required");
}

std::optional<bool> TableReader::boolean(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  fail(key, "must be true or false (got " + value_text(*node) + ")");
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* i = node->as_integer();
  if (i == nullptr) fail(key, "must be an integer (got " + value_text(*node) + ")");
  const std::int64_t value = i->get();
  if (value < min || value > max) fail(key, range_problem(value, min, max));
  return value;
}

std::optional<int> TableReader::small_int(std::string_view key, int min, int max) const {
  const std::optional<std::int64_t> v = integer(key, min, max);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<sim::Duration> TableReader::duration(std::string_view key, Sign sign) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* s = node->as_string();
  if (s == nullptr) {
    fail(key, "must be a duration string with a unit, like \"150ms\" (got " + value_text(*node) + ")");
  }
  auto d = checked_duration(s->get(), sign);
  if (!d) fail(key, std::move(d.error()));
  return *d;
}

sim::Duration TableReader::required_duration(std::string_view key, Sign sign) const {
  if (const std::optional<sim::Duration> d = duration(key, sign)) return *d;
  fail(key, "is required");
}

std::optional<std::chrono::milliseconds> TableReader::millis(std::string_view key, Sign sign) const {
  const std::optional<sim::Duration> d = duration(key, sign);
  if (!d) return std::nullopt;
  if (*d % std::chrono::milliseconds(1) != sim::Duration::zero()) {
    fail(key, "must be a whole number of milliseconds (got " + value_text(*find(key)) + ")");
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

const toml::table* TableReader::subtable(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return nullptr;
  if (const auto* t = node->as_table()) return t;
  fail(key, "must be a table (got " + value_text(*node) + ")");
}

const toml::array* TableReader::array(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return nullptr;
  if (const auto* a = node->as_array()) return a;
  fail(key, "must be an array (got " + value_text(*node) + ")");
}

}  // namespace locklab::scenarios::detail
