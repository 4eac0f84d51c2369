// Editing a scenario file's text in place: replace_trace_hash() rewrites the
// one value `locklab check --update-hashes` changes, leaving every other byte
// (comments, layout, the comment after the value) as the person wrote it.
// Re-serialising with to_toml() would lose all of that.
#include <fmt/format.h>

#include "file_reader.hpp"

namespace locklab::scenarios {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The 1-based line holding the top-level trace_hash, as the TOML parser sees
// the text: a comment or a string that mentions trace_hash is not taken for
// it, and a second assignment is the parser's duplicate-key error.
std::expected<std::size_t, std::string> trace_hash_line(std::string_view text) {
  if (text.size() > kMaxScenarioBytes) return std::unexpected("the text is over the scenario file size limit");
  try {
    detail::check_before_parse(text, "");  // what toml++ cannot take safely
    const toml::table root = toml::parse(text);
    const toml::node* value = root.get("trace_hash");
    if (value == nullptr) return std::unexpected("there is no trace_hash at the top level");
    return value->source().begin.line;
  } catch (const ScenarioError& e) {
    return std::unexpected(e.problem);
  } catch (const toml::parse_error& e) {
    return std::unexpected(fmt::format("line {}: TOML syntax: {}", e.source().begin.line, e.description()));
  }
}

// Where the quoted hash starts and its length, when `line` reads
// trace_hash = "0x<1 to 16 hex digits>" (spaces or tabs around the =), the
// way to_toml() writes it; nullopt for any other spelling.
std::optional<std::pair<std::size_t, std::size_t>> quoted_hash(std::string_view line) {
  std::size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || !line.substr(i).starts_with("trace_hash")) return std::nullopt;
  i = line.find_first_not_of(" \t", i + std::string_view("trace_hash").size());
  if (i == std::string_view::npos || line[i] != '=') return std::nullopt;
  const std::size_t begin = line.find_first_not_of(" \t", i + 1);
  if (begin == std::string_view::npos || !line.substr(begin).starts_with("\"0x")) return std::nullopt;
  std::size_t end = begin + 3;
  while (end < line.size() && is_hex(line[end])) ++end;
  const std::size_t digits = end - begin - 3;
  if (digits < 1 || digits > 16 || end == line.size() || line[end] != '"') return std::nullopt;
  return std::pair{begin, end + 1 - begin};
}

}  // namespace

std::expected<std::string, std::string> replace_trace_hash(std::string_view text, std::uint64_t hash) {
  const std::expected<std::size_t, std::string> line_number = trace_hash_line(text);
  if (!line_number) return std::unexpected(line_number.error());
  std::size_t line_start = 0;
  for (std::size_t n = 1; n < *line_number; ++n) line_start = text.find('\n', line_start) + 1;
  const std::string_view line = text.substr(line_start, text.find('\n', line_start) - line_start);
  const auto value = quoted_hash(line);
  if (!value) {
    return std::unexpected(fmt::format("line {} does not read trace_hash = \"0x<1 to 16 hex digits>\"; "
                                       "write it that way or edit the hash by hand",
                                       *line_number));
  }
  std::string out(text);
  out.replace(line_start + value->first, value->second, fmt::format("\"0x{:016x}\"", hash));
  return out;
}

}  // namespace locklab::scenarios
