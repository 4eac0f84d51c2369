// locklab/lock/options.hpp — how a lock is configured, and the mistakes
// refused at construction.
//
// Provides LockOptions (one plain struct, units in the types), RetryOptions,
// RetryPolicy (a caller's own retry rule) and ConfigError, the exception a
// lock's constructor throws for a configuration that can never work (a TTL of
// zero, a quorum above the node count, a negative drift factor). Outcomes of
// locking are values (outcome.hpp); only these mistakes throw.
//
// drift_factor is given as a fraction (0.01 = 1%) for readability and turned
// once, at validation, into integer parts per million: nothing the algorithms
// compute from it uses floating point, so a simulated run stays exact.
//
// A TTL is at most kMaxTtl (about 104 days): any time point plus a TTL in
// nanoseconds then stays far inside 64 bits, and a TTL that long is a
// mistake, not a lease. ttl_problem() states the per-call rule (a call's
// own TTL is checked by the same rule as the configured one, and reported
// as an `invalid` outcome, never by aborting).
//
//   RedLock lock(backend, {.ttl = 10s, .drift_factor = 0.01, .retry = {.count = 3}});
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "locklab/assert.hpp"

namespace locklab::lock {

enum class Outcome : std::uint8_t;

class ConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The longest TTL a lock accepts: 2^53 ns ≈ 104 days.
inline constexpr std::chrono::milliseconds kMaxTtl{(std::int64_t{1} << 53) / 1'000'000};

struct RetryOptions {
  int count = 3;  // further attempts after the first
  std::chrono::milliseconds delay{200};
  std::chrono::milliseconds jitter{100};  // a uniform extra delay in [0, jitter]
};

// A caller's retry rule: given how many attempts failed so far and how the
// last one ended, the delay before the next attempt, or nullopt to give up.
using RetryPolicy =
    std::function<std::optional<std::chrono::nanoseconds>(int failed_attempts, Outcome last)>;

struct LockOptions {
  std::chrono::milliseconds ttl{10'000};
  double drift_factor = 0.01;
  // Nodes that must grant; unset: N/2 + 1. Must be more than N/2 and at most N.
  std::optional<std::size_t> quorum{};
  // The wait for any one node in an attempt; unset: ttl / 100, at least 1 ms.
  std::optional<std::chrono::nanoseconds> node_timeout{};
  RetryOptions retry{};
  RetryPolicy retry_policy{};  // when set, replaces `retry`
  // Every grant carries a monotonically increasing fencing token.
  bool fencing = false;
  // Return from an attempt as soon as the quorum is reached or impossible,
  // instead of waiting for every node's reply.
  bool return_early = false;
  // Every blocking call must be given a deadline (a missing one is an error).
  bool require_deadline = false;
};

// LockOptions checked against a node count, with the defaults filled in.
struct ValidatedOptions {
  LockOptions options{};
  std::size_t nodes = 0;
  std::size_t quorum = 0;
  std::chrono::nanoseconds node_timeout{};
  std::int64_t drift_ppm = 0;  // drift_factor in parts per million
};

// Why `ttl` cannot be a lease's TTL with this node timeout, or empty.
inline std::string ttl_problem(std::chrono::milliseconds ttl, std::chrono::nanoseconds node_timeout) {
  if (ttl <= std::chrono::milliseconds::zero()) {
    return "ttl must be positive, got " + std::to_string(ttl.count()) + "ms";
  }
  if (ttl > kMaxTtl) {
    return "ttl " + std::to_string(ttl.count()) + "ms is longer than the most a lock accepts (" +
           std::to_string(kMaxTtl.count()) + "ms)";
  }
  if (std::chrono::nanoseconds(ttl) <= node_timeout) {
    return "ttl " + std::to_string(ttl.count()) + "ms must be longer than the node timeout (" +
           std::to_string(node_timeout.count()) + "ns)";
  }
  return {};
}

inline ValidatedOptions validate(const LockOptions& o, std::size_t nodes, std::string_view what) {
  const auto fail = [&](const std::string& why) {
    throw ConfigError(std::string(what) + ": " + why);
  };
  if (nodes == 0) fail("no Redis nodes to lock on");
  if (o.ttl <= std::chrono::milliseconds::zero() || o.ttl > kMaxTtl) {
    fail(ttl_problem(o.ttl, std::chrono::nanoseconds::zero()));
  }
  if (!(o.drift_factor >= 0.0) || !(o.drift_factor < 1.0)) {
    fail("drift_factor must be in [0, 1), got " + std::to_string(o.drift_factor));
  }
  ValidatedOptions v{o, nodes, nodes / 2 + 1, {}, std::llround(o.drift_factor * 1e6)};
  if (o.quorum) {
    if (*o.quorum > nodes) {
      fail("quorum " + std::to_string(*o.quorum) + " is larger than the " +
           std::to_string(nodes) + " nodes");
    }
    if (*o.quorum <= nodes / 2) {
      fail("quorum " + std::to_string(*o.quorum) + " is not a majority of " +
           std::to_string(nodes) + " nodes (two clients could both reach it)");
    }
    v.quorum = *o.quorum;
  }
  const std::chrono::nanoseconds one_ms = std::chrono::milliseconds(1);
  v.node_timeout = o.node_timeout.value_or(std::max(one_ms, std::chrono::nanoseconds(o.ttl) / 100));
  if (v.node_timeout <= std::chrono::nanoseconds::zero() || v.node_timeout >= o.ttl) {
    fail("node_timeout must be positive and shorter than the ttl, got " +
         std::to_string(v.node_timeout.count()) + "ns for a ttl of " +
         std::to_string(o.ttl.count()) + "ms");
  }
  if (o.retry.count < 0) fail("retry.count must not be negative");
  LOCKLAB_ASSERT_GT(v.quorum, nodes / 2);
  LOCKLAB_ASSERT_LE(v.quorum, nodes);
  LOCKLAB_ASSERT(ttl_problem(o.ttl, v.node_timeout).empty());
  if (o.retry.delay.count() < 0 || o.retry.jitter.count() < 0) {
    fail("retry.delay and retry.jitter must not be negative");
  }
  if (o.retry.delay > kMaxTtl || o.retry.jitter > kMaxTtl) {
    fail("retry.delay and retry.jitter must be at most " + std::to_string(kMaxTtl.count()) + "ms");
  }
  return v;
}

// ttl × ppm / 10^6 without overflow for any ttl: the whole millions and the
// rest are scaled apart (ppm < 10^6, so neither product leaves 64 bits).
template <typename Rep>
Rep scale_ppm(Rep ttl, std::int64_t ppm) {
  LOCKLAB_ASSERT(ttl >= 0 && ppm >= 0 && ppm < 1'000'000, "ttl ", ttl, ", ppm ", ppm);
  return (ttl / 1'000'000) * ppm + (ttl % 1'000'000) * ppm / 1'000'000;
}

// The clock drift a lease of `ttl` allows for: ttl × drift_factor + 2 ms.
// A lock believes a lease this much shorter than its TTL (RedLock's
// validity), and the liveness judge lets a key live this much longer; both
// read it here, so the two cannot disagree. Exact for every TTL up to kMaxTtl.
inline std::chrono::nanoseconds drift_allowance(std::chrono::milliseconds ttl, std::int64_t drift_ppm) {
  LOCKLAB_ASSERT(ttl >= std::chrono::milliseconds::zero() && ttl <= kMaxTtl, "ttl ", ttl.count(), "ms");
  const std::chrono::nanoseconds ttl_ns = ttl;
  return std::chrono::nanoseconds(scale_ppm(ttl_ns.count(), drift_ppm)) + std::chrono::milliseconds(2);
}

}  // namespace locklab::lock
