// The trace's hash function (internal to sim/src): xxHash64's round, applied
// to 64-bit words, and a digest of byte strings read eight bytes at a time.
// Not xxHash64 itself (no lanes, no final avalanche): a chain of rounds is
// enough to tell traces apart, and each round is a bijection of the running
// value for a fixed input word, so any single changed word changes the
// result. Bytes are assembled little-endian explicitly, so the value is the
// same on every platform.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace locklab::sim::detail {

inline constexpr std::uint64_t kXxPrime1 = 0x9E3779B185EBCA87ULL;
inline constexpr std::uint64_t kXxPrime2 = 0xC2B2AE3D27D4EB4FULL;

inline std::uint64_t hash_round(std::uint64_t hash, std::uint64_t word) {
  return std::rotl(hash + word * kXxPrime2, 31) * kXxPrime1;
}

// Up to eight bytes as a little-endian word (missing high bytes are zero).
inline std::uint64_t load_le(const char* bytes, std::size_t n) {
  std::uint64_t word = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&word, bytes, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      word |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    }
  }
  return word;
}

// The length, then the bytes eight at a time (the last word zero-padded:
// the length already tells "a" from "a\0").
inline std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t hash = hash_round(seed, bytes.size());
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) hash = hash_round(hash, load_le(bytes.data() + i, 8));
  if (i < bytes.size()) hash = hash_round(hash, load_le(bytes.data() + i, bytes.size() - i));
  return hash;
}

}  // namespace locklab::sim::detail
