// locklab/lock/token.hpp — lock tokens and retry jitter from a backend's
// randomness.
//
// Provides make_token (128 random bits as 32 lowercase hex digits: the value
// stored under the lock key, which only its holder knows, so release and
// extend can check ownership) and random_below (a uniform draw with Lemire's
// multiply-and-reject reduction: the same numbers under any standard library,
// which std::uniform_int_distribution does not promise).
#pragma once

#include <cstdint>
#include <string>

#include "locklab/lock/backend.hpp"

namespace locklab::lock {

namespace detail {
__extension__ typedef unsigned __int128 u128;  // GCC's extension; quiet under -Wpedantic
}

template <Backend B>
std::string make_token(B& backend) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = backend.random_u64();
    for (int i = 0; i < 16; ++i) {
      token[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xf];
      bits >>= 4;
    }
  }
  return token;
}

// Uniform in [0, bound); 0 when bound is 0.
template <Backend B>
std::uint64_t random_below(B& backend, std::uint64_t bound) {
  if (bound == 0) return 0;
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const detail::u128 m = static_cast<detail::u128>(backend.random_u64()) * bound;
    if (static_cast<std::uint64_t>(m) >= threshold) return static_cast<std::uint64_t>(m >> 64);
  }
}

}  // namespace locklab::lock
