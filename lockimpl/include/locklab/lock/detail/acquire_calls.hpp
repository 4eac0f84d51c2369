// locklab/lock/detail/acquire_calls.hpp — the acquire entry points every lock
// offers, written once over its attempt().
//
// A lock derives from AcquireCalls<Lock, B> (CRTP) and provides backend(),
// options() and attempt(key, token, ttl, deadline, stop), one try that cleans
// up after itself. acquire() retries (detail/retry.hpp) under the lock's
// TTL, acquire_for() under a TTL of the call's own, try_acquire() once.
//
// A call's own TTL that no lease could have (not above the node timeout,
// beyond kMaxTtl) is an `invalid` outcome, as the configured TTL would have
// been a ConfigError.
//
// Each attempt draws a token of its own. With one token for all attempts of
// a call, a failed attempt's clean-up (compare-and-delete of that token,
// sent on a fresh connection after a timeout) can reach a node after the
// next attempt's SET with the same token — servers order commands per
// connection, not across connections — and delete the grant the caller now
// believes in: two holders, within every assumption. The explorer found it
// with a server pause and a random ready order.
#pragma once

#include <chrono>
#include <limits>
#include <optional>
#include <stop_token>
#include <string>

#include "locklab/assert.hpp"
#include "locklab/lock/backend.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/lock/detail/retry.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/lock/token.hpp"

namespace locklab::lock::detail {

template <typename Lock, Backend B>
class AcquireCalls {
 public:
  using time_point = typename B::time_point;
  using Acquired = AcquireResult<time_point>;

  // Tries until acquired, refused for good, the deadline or `stop`.
  Acquired acquire(const std::string& key, std::optional<time_point> deadline = {},
                   std::stop_token stop = {}) {
    return acquire_for(key, self().options().options.ttl, deadline, stop);
  }

  // As acquire(), with a TTL of this call's own (the lock manager's lock(key, ttl)).
  Acquired acquire_for(const std::string& key, std::chrono::milliseconds ttl,
                       std::optional<time_point> deadline = {}, std::stop_token stop = {},
                       int max_attempts = std::numeric_limits<int>::max()) {
    // The call's own TTL is the caller's input: a bad one is an outcome.
    if (std::string why = ttl_problem(ttl, self().options().node_timeout); !why.empty()) {
      return Acquired{.outcome = Outcome::invalid, .lease = {}, .nodes = {}, .attempts = 0,
                      .detail = std::move(why)};
    }
    return acquire_with_retries(self().backend(), self().options().options, deadline, stop,
                                max_attempts, [&](time_point d, std::stop_token s) {
                                  return self().attempt(key, make_token(self().backend()), ttl, d, s);
                                });
  }

  // One attempt, no retries.
  Acquired try_acquire(const std::string& key, std::optional<time_point> deadline = {},
                       std::stop_token stop = {}) {
    return acquire_for(key, self().options().options.ttl, deadline, stop, 1);
  }

 private:
  Lock& self() { return static_cast<Lock&>(*this); }
};

}  // namespace locklab::lock::detail
