// locklab/lock/naive.hpp — the textbook lock with no owner check, kept as a
// negative control.
//
// Provides NaiveLock<B>: acquire by `SET key value NX PX ttl` (what go-redis's
// SetNX with an expiration sends) or, in the older variant, `SETNX key value`
// then `PEXPIRE key ttl` as two commands (a crash or timeout between them
// leaves a key that never expires); release by a plain `DEL key`, extend by
// a plain `PEXPIRE key ttl` — neither checks that the caller still owns the
// key. A holder whose lease expired therefore deletes (or extends) the next
// holder's lock. The checkers must catch this; the tests show they do.
//
// It believes its lease for the full ttl from the start of the attempt (no
// drift allowance), as naive code does.
//
// Thread-safety: a NaiveLock may be used from many threads at once (no
// mutable state after construction; the backend is thread-safe).
//
//   lock::NaiveLock lock(backend, {.ttl = 1s});
//   auto got = lock.acquire("job");
//   (void)lock.release(*got.lease);   // DEL job — whoever holds it now
#pragma once

#include <limits>
#include <optional>
#include <stop_token>
#include <string>

#include "locklab/lock/backend.hpp"
#include "locklab/lock/detail/acquire_calls.hpp"
#include "locklab/lock/detail/retry.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/lock/token.hpp"

namespace locklab::lock {

enum class NaiveVariant : std::uint8_t {
  set_nx_px,       // SET key value NX PX ttl
  setnx_pexpire,   // SETNX key value; PEXPIRE key ttl
};

template <Backend B>
class NaiveLock : public detail::AcquireCalls<NaiveLock<B>, B> {
 public:
  using time_point = typename B::time_point;
  using LeaseType = Lease<time_point>;
  using Acquired = AcquireResult<time_point>;

  explicit NaiveLock(B& backend, LockOptions options = {},
                     NaiveVariant variant = NaiveVariant::set_nx_px, std::size_t node = 0)
      : backend_(backend), options_(validate(single(options), 1, "NaiveLock")),
        variant_(variant), node_(node) {
    if (node_ >= backend_.node_count()) {
      throw ConfigError("NaiveLock: node " + std::to_string(node) + " does not exist");
    }
  }

  B& backend() { return backend_; }

  // PEXPIRE key ttl: renews whatever key is there, ours or not.
  ExtendResult extend(LeaseType& lease, std::optional<time_point> deadline = {},
                      std::stop_token stop = {}) {
    const time_point start = backend_.now();
    NodeResult r = backend_.call(node_, {"PEXPIRE", lease.key, std::to_string(lease.ttl.count())},
                                 until(start, deadline), stop);
    ExtendResult out;
    const bool ok = r && r->is_integer(1);
    out.nodes.push_back({node_, std::move(r), ok});
    out.outcome = ok ? Outcome::extended : Outcome::lost;
    if (ok) lease.validity_end = start + lease.ttl;
    return out;
  }

  // DEL key: deletes whatever key is there, ours or not.
  ReleaseResult release(const LeaseType& lease, std::optional<time_point> deadline = {},
                        std::stop_token stop = {}) {
    NodeResult r = backend_.call(node_, {"DEL", lease.key}, until(backend_.now(), deadline), stop);
    ReleaseResult out;
    out.outcome = !r || r->type != ReplyType::integer ? Outcome::indeterminate
                  : r->integer == 1                   ? Outcome::released
                                                      : Outcome::not_held;
    out.nodes.push_back({node_, std::move(r), out.outcome != Outcome::indeterminate});
    return out;
  }

  const ValidatedOptions& options() const { return options_; }
  NaiveVariant variant() const { return variant_; }

 private:
  friend class detail::AcquireCalls<NaiveLock<B>, B>;

  static LockOptions single(LockOptions o) {
    o.quorum = 1;
    o.fencing = false;
    return o;
  }
  time_point until(time_point start, std::optional<time_point> deadline) const {
    return std::min(deadline.value_or(time_point::max()), start + options_.node_timeout);
  }

  Acquired attempt(const std::string& key, const std::string& value,
                   std::chrono::milliseconds ttl, time_point deadline, std::stop_token stop) {
    const std::string ttl_ms = std::to_string(ttl.count());
    const time_point start = backend_.now();
    const time_point limit = std::min(deadline, start + options_.node_timeout);
    Acquired out;
    NodeResult r = variant_ == NaiveVariant::set_nx_px
                       ? backend_.call(node_, {"SET", key, value, "NX", "PX", ttl_ms}, limit, stop)
                       : backend_.call(node_, {"SETNX", key, value}, limit, stop);
    const bool ok = r && (variant_ == NaiveVariant::set_nx_px ? r->is_ok() : r->is_integer(1));
    const bool taken = r && (r->is_nil() || r->is_integer(0));
    const bool maybe = !r && r.error().maybe_applied;
    out.nodes.push_back({node_, std::move(r), ok});
    if (ok && variant_ == NaiveVariant::setnx_pexpire) {
      // The second command: if it is lost, the key never expires.
      NodeResult e = backend_.call(node_, {"PEXPIRE", key, ttl_ms},
                                   std::min(deadline, backend_.now() + options_.node_timeout), stop);
      out.nodes.push_back({node_, std::move(e), true});
    }
    if (ok) {
      out.outcome = Outcome::acquired;
      out.lease = LeaseType{key, value, std::nullopt, start, start + ttl, {node_}, ttl};
      return out;
    }
    out.outcome = maybe ? Outcome::indeterminate
                  : taken ? Outcome::busy
                          : (stop.stop_requested() ? Outcome::cancelled : Outcome::timed_out);
    return out;
  }

  B& backend_;
  ValidatedOptions options_;
  NaiveVariant variant_;
  std::size_t node_;
};

}  // namespace locklab::lock
