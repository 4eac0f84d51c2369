// The pre-parse guard against input nested deep enough to overflow the stack.
//
// toml++ caps nested arrays and inline tables at 256, but not dotted keys:
// "a.a.a...= 1" with 400,000 segments (800 KB) builds 400,000 nested tables,
// and building or destroying them recurses until the stack overflows. A
// scenario file nests three or four levels, so this lexical scan refuses
// anything beyond generous caps: brackets and braces open at once, and dots in
// one run of a line between the characters that separate keys and values. It
// skips comments and all four kinds of string the way TOML delimits them;
// where it could disagree with toml++ (malformed strings) the document is an
// error for toml++ anyway, and the scan only ever counts more, never less.
#include <fmt/format.h>

#include "file_reader.hpp"

namespace locklab::scenarios::detail {

namespace {

constexpr int kMaxOpen = 32;      // [ and { open at one point
constexpr int kMaxRunDots = 16;   // dots in one key (or value) run

enum class State : std::uint8_t { normal, comment, basic, literal, multi_basic, multi_literal };

}  // namespace

void check_nesting(std::string_view text, std::string_view file) {
  State state = State::normal;
  int open = 0;
  int run_dots = 0;
  std::uint32_t line = 1;
  std::uint32_t column = 0;
  const auto at = [&](std::size_t i, std::string_view three) { return text.substr(i, 3) == three; };
  // A run of three or more quotes closes a multi-line string; up to two more
  // before the last three belong to its content, so the whole run is eaten.
  const auto close_multi = [&](char quote, std::size_t& pos) {
    std::size_t run = 0;
    while (pos + run < text.size() && text[pos + run] == quote) ++run;
    if (run < 3) return;
    state = State::normal;
    pos += run - 1;
    column += static_cast<std::uint32_t>(run - 1);
  };
  const auto refuse = [&](std::string problem) {
    throw ScenarioError(std::string(file), line, column, "", std::move(problem));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      run_dots = 0;
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
        }
        break;
      case State::literal:
        if (c == '\'') state = State::normal;
        break;
      case State::multi_basic:
        if (c == '\\') {
          if (i + 1 < text.size() && text[i + 1] != '\n') { ++i; ++column; }
        } else if (c == '"') {
          close_multi('"', i);
        }
        break;
      case State::multi_literal:
        if (c == '\'') close_multi('\'', i);
        break;
      case State::normal:
        if (c == '#') {
          state = State::comment;
        } else if (c == '"' || c == '\'') {
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
        break;
    }
  }
}

}  // namespace locklab::scenarios::detail
