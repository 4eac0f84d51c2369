// bench/real/token.hpp — the hand-written baselines' lock token: 16 fresh
// bytes from one getrandom(2) call, as 32 hex characters (the length of
// locklab's tokens, so both send commands of the same size).
#pragma once

#include <sys/random.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <cstdlib>

namespace locklab::bench_real {

using Token = std::array<char, 32>;

inline Token fresh_token() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint8_t bytes[16];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) std::abort();
  Token out;
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace locklab::bench_real
