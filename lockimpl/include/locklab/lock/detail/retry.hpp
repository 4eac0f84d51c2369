// locklab/lock/detail/retry.hpp — the attempt loop every lock shares:
// deadlines, cancellation, retry delay with jitter or the caller's policy.
//
// An attempt that did not acquire has already cleaned up after itself; the
// loop only decides whether and when to try again, and what the caller is
// told at the end: `indeterminate` if any attempt may have left the key held
// for us somewhere, otherwise how the last attempt ended (`timed_out` when
// the deadline, not a refusal, ended the loop).
#pragma once

#include <algorithm>
#include <optional>
#include <stop_token>

#include "locklab/lock/backend.hpp"
#include "locklab/lock/detail/saturate.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/lock/token.hpp"

namespace locklab::lock::detail {

template <Backend B>
typename B::time_point deadline_or_max(std::optional<typename B::time_point> deadline) {
  return deadline.value_or(B::time_point::max());
}

// The delay before attempt `failed + 1`, or nullopt to stop.
template <Backend B>
std::optional<typename B::duration> retry_delay(B& backend, const LockOptions& o, int failed,
                                                Outcome last) {
  if (o.retry_policy) {
    std::optional<std::chrono::nanoseconds> d = o.retry_policy(failed, last);
    if (!d) return std::nullopt;
    return std::chrono::duration_cast<typename B::duration>(std::max(*d, std::chrono::nanoseconds{}));
  }
  if (failed > o.retry.count) return std::nullopt;
  const auto jitter_ns = std::chrono::nanoseconds(o.retry.jitter).count();
  const auto extra = static_cast<std::int64_t>(
      random_below(backend, static_cast<std::uint64_t>(jitter_ns) + 1));
  return std::chrono::duration_cast<typename B::duration>(
      std::chrono::nanoseconds(o.retry.delay) + std::chrono::nanoseconds(extra));
}

// attempt(deadline, stop) -> AcquireResult; one try, cleaned up on failure.
template <Backend B, typename Attempt>
auto acquire_with_retries(B& backend, const LockOptions& o,
                          std::optional<typename B::time_point> deadline_opt,
                          std::stop_token stop, int max_attempts, Attempt attempt)
    -> AcquireResult<typename B::time_point> {
  using Result = AcquireResult<typename B::time_point>;
  if (!deadline_opt && o.require_deadline) {
    return Result{.outcome = Outcome::invalid, .lease = {}, .nodes = {}, .attempts = 0,
                  .detail = "no deadline given, and LockOptions::require_deadline is set"};
  }
  const auto deadline = deadline_or_max<B>(deadline_opt);
  bool uncertain = false;
  Result last{.outcome = Outcome::timed_out};
  for (int n = 1;; ++n) {
    if (stop.stop_requested()) {
      last.outcome = uncertain ? Outcome::indeterminate : Outcome::cancelled;
      return last;
    }
    if (backend.now() >= deadline) {
      if (last.attempts == 0) last.detail = "the deadline had passed before the first attempt";
      last.outcome = uncertain ? Outcome::indeterminate : Outcome::timed_out;
      return last;
    }
    Result r = attempt(deadline, stop);
    r.attempts = n;
    if (r.acquired()) return r;
    uncertain = uncertain || r.outcome == Outcome::indeterminate;
    const Outcome ended = r.outcome;
    last = std::move(r);
    if (ended == Outcome::cancelled || ended == Outcome::invalid) return last;
    if (n >= max_attempts) break;
    const std::optional<typename B::duration> delay = retry_delay(backend, o, n, ended);
    if (!delay) break;
    const auto wake = add_saturating(backend.now(), *delay);
    if (wake >= deadline) {
      last.outcome = uncertain ? Outcome::indeterminate : Outcome::timed_out;
      last.detail = "the next attempt would start after the deadline";
      return last;
    }
    if (!backend.sleep_until(wake, stop)) {
      last.outcome = uncertain ? Outcome::indeterminate : Outcome::cancelled;
      return last;
    }
  }
  if (uncertain) last.outcome = Outcome::indeterminate;
  return last;
}

}  // namespace locklab::lock::detail
