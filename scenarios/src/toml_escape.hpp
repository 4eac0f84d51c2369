// scenarios/src/toml_escape.hpp — text as a one-line TOML basic string:
// quotes and backslashes escaped, control characters as \uXXXX. Shared by
// the file's keys the writer quotes (toml_key) and the loader's messages
// (value_text), so both escape alike.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace locklab::scenarios::detail {

// The string quoted: "…", with `suffix` before the closing quote (a cut
// text's "..."). Built by appending (GCC 12 -O3 warns falsely on `+` chains).
inline std::string quoted_basic_string(std::string_view text, std::string_view suffix = {}) {
  std::string out = "\"";
  out.reserve(text.size() + suffix.size() + 2);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  out += suffix;
  out += '"';
  return out;
}

}  // namespace locklab::scenarios::detail
