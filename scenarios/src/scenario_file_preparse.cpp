// The pre-parse guard against input toml++ 3.3 cannot take safely.
//
// Nesting. toml++ caps nested arrays and inline tables at 256, but not dotted keys:
// "a.a.a...= 1" with 400,000 segments (800 KB) builds 400,000 nested tables,
// and building or destroying them recurses until the stack overflows. A
// scenario file nests three or four levels, so this lexical scan refuses
// anything beyond generous caps: brackets and braces open at once, and dots in
// one run of a line between the characters that separate keys and values. It
// skips comments and all four kinds of string the way TOML delimits them;
// where it could disagree with toml++ (malformed strings) the document is an
// error for toml++ anyway, and the scan only ever counts more, never less.
//
// Non-ASCII where toml++ tests for whitespace. TOML allows non-ASCII
// characters only in strings and comments, and toml++ does refuse them
// elsewhere, but first asks is_non_ascii_horizontal_whitespace(), whose
// generated table ends in __builtin_unreachable for most code points
// (U+00A1, an "é", among them): undefined behaviour, a trap under UBSan,
// anything in a release build. It asks the same of the first character after
// a line-ending backslash in a multi-line basic string. This scan refuses a
// non-ASCII byte in both places with its own message, before toml++ sees it;
// a UTF-8 byte order mark at the very start is left to toml++, which skips it.
// A quote opens a string for this scan only where TOML lets one begin (at
// the start of a line, after `=`, `[`, `{`, `,` or a key's `.`): after a bare
// value, as in `seed = 1"é"`, toml++ reads on past the quote looking for
// the value's end and asks the same question of what follows; such a
// document is an error anyway, so scanning the quote as plain text only
// refuses more.
#include <fmt/format.h>

#include "file_reader.hpp"

namespace locklab::scenarios::detail {

namespace {

constexpr int kMaxOpen = 32;      // [ and { open at one point
constexpr int kMaxRunDots = 16;   // dots in one key (or value) run

enum class State : std::uint8_t { normal, comment, basic, literal, multi_basic, multi_literal };

bool is_ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }

// The character starting at text[i] for a message: "U+00E9", or the byte
// when it does not start well-formed UTF-8.
std::string character_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  const std::size_t length = lead >= 0xF0 && lead < 0xF5 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (lead >= 0xF5) return fmt::format("the byte 0x{:02X}, not UTF-8", lead);
  if (length == 0 || i + length > text.size()) return fmt::format("the byte 0x{:02X}, not UTF-8", lead);
  std::uint32_t code = lead & (0x7Fu >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return fmt::format("the byte 0x{:02X}, not UTF-8", lead);
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  return fmt::format("U+{:04X}", code);
}

}  // namespace

void check_before_parse(std::string_view text, std::string_view file) {
  State state = State::normal;
  bool trimming = false;  // after a line-ending backslash in a multi-line basic string
  int open = 0;
  int run_dots = 0;
  std::uint32_t line = 1;
  std::uint32_t column = 0;
  char last = '\n';  // the last character outside strings on this line, spaces aside
  const auto may_open_string = [&] {
    return last == '\n' || last == '=' || last == '[' || last == '{' || last == ',' || last == '.';
  };
  const auto at = [&](std::size_t i, std::string_view three) { return text.substr(i, 3) == three; };
  // A run of three or more quotes closes a multi-line string; up to two more
  // before the last three belong to its content, so the whole run is eaten.
  const auto close_multi = [&](char quote, std::size_t& pos) {
    std::size_t run = 0;
    while (pos + run < text.size() && text[pos + run] == quote) ++run;
    if (run < 3) return;
    state = State::normal;
    last = quote;
    pos += run - 1;
    column += static_cast<std::uint32_t>(run - 1);
  };
  const auto refuse = [&](std::string problem) {
    throw ScenarioError(std::string(file), line, column, "", std::move(problem));
  };
  const auto refuse_non_ascii = [&](std::size_t i, std::string_view where) {
    refuse(fmt::format("a non-ASCII character ({}) {}", character_at(text, i), where));
  };
  const std::size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // the BOM
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      run_dots = 0;
      last = '\n';
      // Single-line strings and comments end at a newline (an unterminated
      // string is toml++'s error to report).
      if (state == State::comment || state == State::basic || state == State::literal) state = State::normal;
      continue;
    }
    switch (state) {
      case State::comment: break;
      case State::basic:
        if (c == '\\') {
          if (i + 1 < text.size() && text[i + 1] != '\n') { ++i; ++column; }
        } else if (c == '"') {
          state = State::normal;
          last = '"';
        }
        break;
      case State::literal:
        if (c == '\'') {
          state = State::normal;
          last = '\'';
        }
        break;
      case State::multi_basic:
        if (trimming) {
          if (c == ' ' || c == '\t' || c == '\r') break;
          trimming = false;
          if (!is_ascii(c)) {
            refuse_non_ascii(i, "first after a line-ending backslash: begin the line with an ASCII character");
          }
        }
        if (c == '\\') {
          const char next = i + 1 < text.size() ? text[i + 1] : '\n';
          if (next == ' ' || next == '\t' || next == '\r' || next == '\n') {
            trimming = true;  // a line-ending backslash, or toml++'s error
          } else {
            ++i;
            ++column;
          }
        } else if (c == '"') {
          close_multi('"', i);
        }
        break;
      case State::multi_literal:
        if (c == '\'') close_multi('\'', i);
        break;
      case State::normal:
        if (!is_ascii(c)) {
          refuse_non_ascii(i, "outside a string or comment");
        } else if (c == '#') {
          state = State::comment;
        } else if ((c == '"' || c == '\'') && may_open_string()) {
          const bool multi = at(i, c == '"' ? "\"\"\"" : "'''");
          state = c == '"' ? (multi ? State::multi_basic : State::basic)
                           : (multi ? State::multi_literal : State::literal);
          if (multi) { i += 2; column += 2; }
        } else if (c == '[' || c == '{') {
          run_dots = 0;
          if (++open > kMaxOpen) {
            refuse(fmt::format("nested deeper than any scenario ({} brackets and braces open at once)", kMaxOpen));
          }
        } else if (c == ']' || c == '}') {
          run_dots = 0;
          if (open > 0) --open;
        } else if (c == '=' || c == ',') {
          run_dots = 0;
        } else if (c == '.') {
          if (++run_dots > kMaxRunDots) {
            refuse(fmt::format("a dotted key deeper than any scenario (over {} dots)", kMaxRunDots));
          }
        }
        if (state == State::normal && c != ' ' && c != '\t' && c != '\r') last = c;
        break;
    }
  }
}

}  // namespace locklab::scenarios::detail
