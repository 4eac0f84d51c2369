// locklab/sim/rng.hpp — the world's deterministic randomness.
//
// Provides Rng: xoshiro256** seeded through SplitMix64, with its own range
// reduction (Lemire's multiply-and-reject), so the same seed gives the same
// numbers under any standard library. std::uniform_int_distribution is not
// used because libstdc++ and libc++ produce different sequences from it.
//
// Streams: fork("network") derives a child generator from this generator's
// seed and the name alone, never from how many numbers were drawn, so adding
// a component (or a draw in one) does not perturb any other stream.
//
// Deliberately absent: floating-point draws (nothing the trace depends on may
// use floating point) and any seeding from the operating system.
//
//   sim::Rng root(42);
//   sim::Rng net = root.fork("network");
//   std::uint64_t d = net.below(1000);        // 0..999
//   std::int64_t j = net.between(-5, 5);      // -5..5, both ends included
#pragma once

#include <cstdint>
#include <string_view>

namespace locklab::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  // The seed this generator was created from (its identity for fork()).
  std::uint64_t seed() const { return seed_; }

  std::uint64_t next_u64();

  // Uniform in [0, bound). bound must be > 0.
  std::uint64_t below(std::uint64_t bound);

  // Uniform in [lo, hi], both included. lo must be <= hi.
  std::int64_t between(std::int64_t lo, std::int64_t hi);

  // True with probability numerator/denominator (denominator > 0).
  bool chance(std::uint64_t numerator, std::uint64_t denominator);

  // An independent generator named `stream`, derived from seed() and the name.
  Rng fork(std::string_view stream) const;

 private:
  std::uint64_t seed_;
  std::uint64_t state_[4];
};

// SplitMix64's finaliser: a good 64-bit mixing function, used for seeding.
std::uint64_t mix64(std::uint64_t x);

// FNV-1a 64-bit over bytes, continuing from `hash` (the offset basis when
// starting). Used for stream names and the trace hash.
inline constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = kFnvOffsetBasis) {
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace locklab::sim
