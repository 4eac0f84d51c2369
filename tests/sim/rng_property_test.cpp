// Properties of Rng for random seeds and arguments: draws stay in range,
// chance's extremes hold, equal seeds agree, and named streams depend on the
// seed and name alone.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "locklab/sim/rng.hpp"

namespace locklab::sim {
namespace {

// Bounds of every size: tiny, around powers of two, and anywhere up to the
// maximum (where Lemire's rejection matters most).
rc::Gen<std::uint64_t> bound_gen() {
  return rc::gen::weightedOneOf<std::uint64_t>({
      {3, rc::gen::inRange<std::uint64_t>(1, 100)},
      {1, rc::gen::map(rc::gen::inRange(0, 64),
                       [](int k) { return (std::uint64_t{1} << k) + 1; })},
      {1, rc::gen::map(rc::gen::inRange(1, 64),
                       [](int k) { return (std::uint64_t{1} << k) - 1; })},
      {3, rc::gen::map(rc::gen::arbitrary<std::uint64_t>(),
                       [](std::uint64_t x) { return x == 0 ? 1 : x; })},
      {1, rc::gen::just(std::numeric_limits<std::uint64_t>::max())},
  });
}

// below(bound) is always less than bound.
RC_GTEST_PROP(RngProperty, BelowIsUnderTheBound, (std::uint64_t seed)) {
  Rng rng(seed);
  const std::uint64_t bound = *bound_gen();
  for (int i = 0; i < 64; ++i) RC_ASSERT(rng.below(bound) < bound);
}

// between(lo, hi) stays within [lo, hi] for any ordered pair, including the
// full 64-bit range and one-point ranges.
RC_GTEST_PROP(RngProperty, BetweenStaysInRange, (std::uint64_t seed)) {
  Rng rng(seed);
  const auto any = rc::gen::weightedOneOf<std::int64_t>({
      {4, rc::gen::arbitrary<std::int64_t>()},
      {1, rc::gen::element(std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max(), std::int64_t{0},
                           std::int64_t{-1})},
  });
  std::int64_t lo = *any;
  std::int64_t hi = *rc::gen::oneOf(any, rc::gen::just(lo));
  if (hi < lo) std::swap(lo, hi);
  for (int i = 0; i < 64; ++i) {
    const std::int64_t v = rng.between(lo, hi);
    RC_ASSERT(v >= lo);
    RC_ASSERT(v <= hi);
  }
}

// chance(0, n) is never true; chance(k, n) with k >= n is always true.
RC_GTEST_PROP(RngProperty, ChanceExtremes, (std::uint64_t seed)) {
  Rng rng(seed);
  const std::uint64_t n = *bound_gen();
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t k = n == max ? n : n + *rc::gen::inRange<std::uint64_t>(0, max - n);
  for (int i = 0; i < 32; ++i) {
    RC_ASSERT(!rng.chance(0, n));
    RC_ASSERT(rng.chance(n, n));
    RC_ASSERT(rng.chance(k, n));
  }
}

// Two generators from the same seed produce the same numbers through any mix
// of calls.
RC_GTEST_PROP(RngProperty, SameSeedSameDraws, (std::uint64_t seed)) {
  Rng a(seed);
  Rng b(seed);
  RC_ASSERT(a.seed() == seed);
  const int calls = *rc::gen::inRange(1, 50);
  for (int i = 0; i < calls; ++i) {
    switch (*rc::gen::inRange(0, 3)) {
      case 0: RC_ASSERT(a.next_u64() == b.next_u64()); break;
      case 1: {
        const std::uint64_t bound = *bound_gen();
        RC_ASSERT(a.below(bound) == b.below(bound));
        break;
      }
      default: RC_ASSERT(a.between(-1000, 1000) == b.between(-1000, 1000)); break;
    }
  }
}

// A fork depends only on the parent's seed and the stream name: the draws
// made on the parent before forking do not matter.
RC_GTEST_PROP(RngProperty, ForkIgnoresParentDraws,
              (std::uint64_t seed, std::string name)) {
  Rng parent(seed);
  Rng early = parent.fork(name);
  const int draws = *rc::gen::inRange(1, 200);
  for (int i = 0; i < draws; ++i) parent.next_u64();
  Rng late = parent.fork(name);
  RC_ASSERT(early.seed() == late.seed());
  for (int i = 0; i < 8; ++i) RC_ASSERT(early.next_u64() == late.next_u64());
}

// Different stream names (or different parent seeds) give different
// streams, and a stream differs from its parent. (A 64-bit collision is
// possible in principle, with negligible probability.)
RC_GTEST_PROP(RngProperty, ForksDifferByNameAndSeed,
              (std::uint64_t seed, std::string name, std::string other)) {
  RC_PRE(name != other);
  const Rng parent(seed);
  Rng a = parent.fork(name);
  Rng b = parent.fork(other);
  Rng c = Rng(seed + 1).fork(name);
  Rng p(seed);
  RC_ASSERT(a.seed() != b.seed());
  RC_ASSERT(a.seed() != c.seed());
  const std::uint64_t first = a.next_u64();
  RC_ASSERT(first != b.next_u64());
  RC_ASSERT(first != c.next_u64());
  RC_ASSERT(first != p.next_u64());
}

}  // namespace
}  // namespace locklab::sim
