#include "locklab/sim/rng.hpp"

#include "locklab/assert.hpp"
#include "locklab/sim/detail/int128.hpp"

namespace locklab::sim {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

Rng::Rng(std::uint64_t seed) : seed_(seed) {
  // SplitMix64 expands the seed into the four state words; it never yields
  // the all-zero state xoshiro must avoid.
  std::uint64_t s = seed;
  for (std::uint64_t& word : state_) {
    word = mix64(s);  // mix64 adds the golden-ratio increment itself
    s += 0x9e3779b97f4a7c15ULL;
  }
}

std::uint64_t Rng::next_u64() {
  // xoshiro256** (Blackman and Vigna).
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) {
  LOCKLAB_ASSERT(bound > 0, "Rng::below needs a positive bound");
  // Lemire's nearly divisionless method: unbiased, and the same on every
  // platform because it uses only 64x64->128 multiplication.
  detail::u128 m = static_cast<detail::u128>(next_u64()) * bound;
  std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<detail::u128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

std::int64_t Rng::between(std::int64_t lo, std::int64_t hi) {
  LOCKLAB_ASSERT_LE(lo, hi);
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const std::uint64_t offset = span == UINT64_MAX ? next_u64() : below(span + 1);
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
}

bool Rng::chance(std::uint64_t numerator, std::uint64_t denominator) {
  LOCKLAB_ASSERT(denominator > 0, "Rng::chance needs a positive denominator");
  return below(denominator) < numerator;
}

Rng Rng::fork(std::string_view stream) const {
  return Rng(mix64(seed_ ^ mix64(fnv1a64(stream))));
}

}  // namespace locklab::sim
