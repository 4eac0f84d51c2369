// Case-insensitive words, as Redis reads command names and options
// (internal to sim/src/redis).
#pragma once

#include <string>
#include <string_view>

namespace locklab::sim::redis {

// ASCII only, as std::tolower in the "C" locale Redis runs in — but without
// the locale lookup, which showed in the command path's profile.
inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// True if `arg` is `word` (given in lower case) in any case: "Nx" is "nx".
inline bool is(std::string_view arg, std::string_view word) {
  if (arg.size() != word.size()) return false;
  for (std::size_t i = 0; i < arg.size(); ++i) {
    if (ascii_lower(arg[i]) != word[i]) return false;
  }
  return true;
}

}  // namespace locklab::sim::redis
