// locklab/lock/redlock.hpp — RedLock over N independent Redis masters (and,
// with N = 1, the single-node lock).
//
// Provides RedLock<B>: acquire, extend and release of a named lock, for any
// Backend. One attempt:
//   1. note the start on the client's own clock;
//   2. send SET key token NX PX ttl to every node at once (fenced: a script
//      that also INCRs the key's counter), each waited for at most
//      node_timeout (a small fraction of the TTL);
//   3. granted by at least `quorum` nodes (N/2 + 1 unless configured) and
//      validity = ttl − elapsed − (ttl × drift_factor + 2 ms) positive:
//      acquired, and the lease is believed until start + validity;
//   4. otherwise release on every node — including those that timed out,
//      whose SET may still be applied — and retry after delay + jitter (or
//      as the caller's RetryPolicy says) until the deadline. The attempt is
//      `busy` as soon as the refusals alone make the quorum unreachable and
//      one of them was another holder's key, even with requests still out;
//      `indeterminate` only when a quorum may have been granted to us.
// Release is compare-and-delete everywhere; a node whose connection broke
// after the request went out gets it once more on a fresh connection within
// the same deadline (compare-and-delete is idempotent).
// Fencing: single node, the counter is INCRed by the same script as the SET;
// N nodes, the token is the largest counter among the granting nodes, raised
// on each of them (a max register) before the grant counts — see
// docs/locks.md for what this does and does not guarantee.
//
// Deliberately absent: any clock but the backend's, any catch of an unknown
// exception (a simulated kill unwinds through here), and blocking without a
// bound (every request has node_timeout; every loop has the deadline).
//
// Thread-safety: a RedLock (and SingleNodeLock) may be used from many
// threads at once — it holds no mutable state after construction, and its
// backend is thread-safe (backend.hpp). A Lease is a value: one per holder.
//
//   lock::RedLock lock(backend, {.ttl = 10s, .fencing = true});
//   auto got = lock.acquire("orders", backend.now() + 2s);
//   if (got) use(got.lease->fencing_token);
//   (void)lock.release(*got.lease);
#pragma once

#include <algorithm>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "locklab/assert.hpp"
#include "locklab/lock/backend.hpp"
#include "locklab/lock/detail/acquire_calls.hpp"
#include "locklab/lock/detail/retry.hpp"
#include "locklab/lock/detail/script_call.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/lock/scripts.hpp"
#include "locklab/lock/token.hpp"

namespace locklab::lock {

template <Backend B>
class RedLock : public detail::AcquireCalls<RedLock<B>, B> {
 public:
  using time_point = typename B::time_point;
  using duration = typename B::duration;
  using LeaseType = Lease<time_point>;
  using Acquired = AcquireResult<time_point>;

  // `nodes`: the backend's nodes this lock uses; empty: all of them.
  explicit RedLock(B& backend, LockOptions options = {}, std::vector<std::size_t> nodes = {},
                   std::string_view what = "RedLock")
      : backend_(backend),
        nodes_(nodes.empty() ? all_nodes(backend) : std::move(nodes)),
        options_(validate(options, nodes_.size(), what)) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const std::size_t n = nodes_[i];
      if (n >= backend_.node_count()) {
        throw ConfigError(std::string(what) + ": node " + std::to_string(n) +
                          " does not exist (the backend has " +
                          std::to_string(backend_.node_count()) + ")");
      }
      // One server listed twice would count twice towards the quorum: {0,0,0}
      // is "a majority of three" granted by a single server.
      if (std::find(nodes_.begin(), nodes_.begin() + static_cast<std::ptrdiff_t>(i), n) !=
          nodes_.begin() + static_cast<std::ptrdiff_t>(i)) {
        throw ConfigError(std::string(what) + ": node " + std::to_string(n) +
                          " is listed more than once (each must be a different server)");
      }
    }
  }

  // Renews the lease for another ttl from now. Refuses (lost, nothing sent)
  // once the lease's validity has ended on this clock.
  ExtendResult extend(LeaseType& lease, std::optional<time_point> deadline = {},
                      std::stop_token stop = {}) {
    if (!deadline && options_.options.require_deadline) {
      return {.outcome = Outcome::invalid, .nodes = {}, .detail = "no deadline given"};
    }
    const time_point start = backend_.now();
    if (!lease.valid_at(start)) {
      return {.outcome = Outcome::lost, .nodes = {}, .detail = "the lease had expired; not extended"};
    }
    if (stop.stop_requested()) return {.outcome = Outcome::cancelled, .nodes = {}, .detail = {}};
    const time_point until = std::min(deadline.value_or(time_point::max()),
                                      std::min(lease.validity_end, start + options_.node_timeout));
    std::vector<NodeResult> results =
        detail::run_script(backend_, scripts::extend, nodes_, {lease.key},
                           {lease.token, std::to_string(lease.ttl.count())}, until, stop,
                           quorum_observer([](const Reply& r) { return r.is_integer(1); }));
    ExtendResult out;
    out.nodes.reserve(results.size());
    std::vector<std::size_t> held;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const bool ok = results[i] && results[i]->is_integer(1);
      if (ok) held.push_back(nodes_[i]);
      out.nodes.push_back({nodes_[i], std::move(results[i]), ok});
    }
    const duration validity = validity_after(start, lease.ttl);
    if (held.size() >= options_.quorum && validity > duration::zero()) {
      LOCKLAB_ASSERT_LE(validity, std::chrono::duration_cast<duration>(lease.ttl));
      lease.validity_end = start + validity;
      lease.nodes = std::move(held);
      out.outcome = Outcome::extended;
    } else {
      out.outcome = stop.stop_requested() ? Outcome::cancelled : Outcome::lost;
      out.detail = held.size() >= options_.quorum ? "validity not positive after renewing"
                                                  : "no quorum renewed the lease";
    }
    return out;
  }

  // Compare-and-delete on every node (not only those that granted: a node
  // whose reply was lost may hold the key too). Never blocks longer than
  // node_timeout per round.
  ReleaseResult release(const LeaseType& lease, std::optional<time_point> deadline = {},
                        std::stop_token stop = {}) {
    return release_token(lease.key, lease.token, deadline, stop);
  }

  ReleaseResult release_token(const std::string& key, const std::string& token,
                              std::optional<time_point> deadline = {},
                              std::stop_token stop = {}) {
    const time_point until =
        std::min(deadline.value_or(time_point::max()), backend_.now() + options_.node_timeout);
    std::vector<NodeResult> results =
        detail::run_script(backend_, scripts::release, nodes_, {key}, {token}, until, stop);
    const bool retried = retry_release(key, token, until, stop, results);
    ReleaseResult out;
    out.nodes.reserve(results.size());
    bool any_deleted = false;
    bool all_answered = true;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const bool answered = results[i] && results[i]->type == ReplyType::integer;
      any_deleted = any_deleted || (answered && results[i]->integer == 1);
      all_answered = all_answered && answered;
      out.nodes.push_back({nodes_[i], std::move(results[i]), answered});
    }
    // A retry that finds the key absent cannot tell whether its first request
    // deleted it; the first one was sent with our token, so it counts.
    any_deleted = any_deleted || (retried && all_answered);
    out.outcome = !all_answered ? Outcome::indeterminate
                  : any_deleted ? Outcome::released
                                : Outcome::not_held;
    if (retried) out.detail = "retried";
    return out;
  }

  const ValidatedOptions& options() const { return options_; }
  const std::vector<std::size_t>& nodes() const { return nodes_; }
  B& backend() { return backend_; }

 private:
  friend class detail::AcquireCalls<RedLock<B>, B>;

  static std::vector<std::size_t> all_nodes(const B& backend) {
    std::vector<std::size_t> v(backend.node_count());
    std::iota(v.begin(), v.end(), std::size_t{0});
    return v;
  }

  // ttl − elapsed − drift_allowance (ttl × drift + 2 ms), elapsed on this
  // client's clock.
  // A clock stepped back during the attempt makes `elapsed` negative; it
  // counts as zero, so no lease is ever believed for longer than its TTL.
  duration validity_after(time_point start, std::chrono::milliseconds ttl_ms) const {
    const auto ttl = std::chrono::duration_cast<duration>(ttl_ms);
    const auto drift = std::chrono::duration_cast<duration>(drift_allowance(ttl_ms, options_.drift_ppm));
    const duration elapsed = std::max(backend_.now() - start, duration::zero());
    return ttl - elapsed - drift;
  }

  // A release whose request went out and then lost its connection may or may
  // not have run. The backend dropped that connection, so the same
  // compare-and-delete goes once more, on a fresh one, before `until`.
  // Returns whether any node was retried and answered this time; `results`
  // then holds the retry's replies for those nodes.
  bool retry_release(const std::string& key, const std::string& token, time_point until,
                     std::stop_token stop, std::vector<NodeResult>& results) {
    LOCKLAB_ASSERT_EQ(results.size(), nodes_.size());
    std::vector<std::size_t> again;  // nodes
    std::vector<std::size_t> where;  // their index in `results`
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i] || results[i].error().kind != NodeErrorKind::connection_lost ||
          !results[i].error().maybe_applied) {
        continue;
      }
      again.push_back(nodes_[i]);
      where.push_back(i);
    }
    if (again.empty() || stop.stop_requested() || backend_.now() >= until) return false;
    std::vector<NodeResult> second =
        detail::run_script(backend_, scripts::release, again, {key}, {token}, until, stop);
    bool answered = false;
    for (std::size_t j = 0; j < second.size(); ++j) {
      answered = answered || (second[j] && second[j]->type == ReplyType::integer);
      results[where[j]] = std::move(second[j]);
    }
    return answered;
  }

  // With return_early: stop waiting once `quorum` nodes said yes, or so many
  // said no that the quorum cannot be reached.
  ReplyObserver quorum_observer(bool (*yes)(const Reply&)) const {
    if (!options_.options.return_early) return {};
    auto counts = std::make_shared<std::pair<std::size_t, std::size_t>>(0, 0);
    const std::size_t quorum = options_.quorum;
    const std::size_t n = nodes_.size();
    return [counts, quorum, n, yes](std::size_t, const NodeResult& r) {
      (r && yes(*r) ? counts->first : counts->second)++;
      return counts->first < quorum && counts->second <= n - quorum;
    };
  }

  static bool granted(const Reply& r, bool fenced) {
    return fenced ? r.type == ReplyType::integer : r.is_ok();
  }

  Acquired attempt(const std::string& key, const std::string& token,
                   std::chrono::milliseconds ttl, time_point deadline, std::stop_token stop) {
    const bool fenced = options_.options.fencing;
    const time_point start = backend_.now();
    const time_point until = std::min(deadline, start + options_.node_timeout);
    const std::string ttl_ms = std::to_string(ttl.count());
    std::vector<NodeResult> results;
    if (fenced) {
      results = detail::run_script(
          backend_, scripts::fenced_acquire, nodes_, {key, fence_key(key)}, {token, ttl_ms},
          until, stop,
          quorum_observer([](const Reply& r) { return r.type == ReplyType::integer; }));
    } else {
      results = backend_.fan_out(nodes_, {"SET", key, token, "NX", "PX", ttl_ms}, until, stop,
                                 quorum_observer([](const Reply& r) { return r.is_ok(); }),
                                 no_fallback());
    }

    LOCKLAB_ASSERT_EQ(results.size(), nodes_.size());

    Acquired out;
    out.nodes.reserve(results.size());
    std::vector<std::size_t> held;
    held.reserve(nodes_.size());
    std::optional<std::uint64_t> fence;
    bool someone_else_holds = false;
    std::size_t refused = 0;  // nodes that definitely did not grant
    for (std::size_t i = 0; i < results.size(); ++i) {
      const bool ok = results[i] && granted(*results[i], fenced);
      if (ok) {
        held.push_back(nodes_[i]);
        if (fenced) fence = std::max(fence.value_or(0), static_cast<std::uint64_t>(results[i]->integer));
      } else if (results[i] || !results[i].error().maybe_applied) {
        ++refused;
      }
      someone_else_holds = someone_else_holds || (results[i] && results[i]->is_nil());
      out.nodes.push_back({nodes_[i], std::move(results[i]), ok});
    }
    LOCKLAB_ASSERT(!fenced || held.empty() || fence.has_value(), "a fenced grant without a token");

    if (held.size() >= options_.quorum && fenced && nodes_.size() > 1) {
      held = raise_fence(key, *fence, held, deadline, stop);
    }
    const duration validity = validity_after(start, ttl);
    if (held.size() >= options_.quorum && validity > duration::zero()) {
      LOCKLAB_ASSERT_LE(validity, std::chrono::duration_cast<duration>(ttl));
      LOCKLAB_ASSERT(!fenced || fence.has_value(), "a fenced lease without a token");
      out.outcome = Outcome::acquired;
      out.lease = LeaseType{key, token, fence, start, start + validity, std::move(held), ttl};
      return out;
    }

    // Not acquired: undo on every node, including the ones that timed out.
    const bool short_of_quorum = held.size() < options_.quorum;
    // The refusals alone leave too few nodes for a quorum, and another holder
    // has the key: nothing still out can make this attempt ours.
    const bool refusals_decide = nodes_.size() - refused < options_.quorum && someone_else_holds;
    ReleaseResult undo = release_token(key, token, {}, {});
    LOCKLAB_ASSERT_EQ(undo.nodes.size(), out.nodes.size());
    // Only a node whose SET granted or may have been applied can hold the key
    // for us; one that refused the connection or answered nil holds nothing,
    // whether or not it answers the release. A granted SET was applied before
    // the release was sent, so the release's answer settles it. A SET that got
    // no answer may still be on its way (on the dropped connection, or queued
    // at a paused node) and land after the release: nothing settles that but
    // the TTL.
    bool may_hold = false;
    for (std::size_t i = 0; i < undo.nodes.size(); ++i) {
      const NodeOutcome& set = out.nodes[i];
      const bool unanswered = !set.result && set.result.error().maybe_applied;
      may_hold = may_hold || unanswered || (set.granted && !undo.nodes[i].granted);
    }
    out.outcome = refusals_decide                            ? Outcome::busy
                  : may_hold                                 ? Outcome::indeterminate
                  : stop.stop_requested()                    ? Outcome::cancelled
                  : (short_of_quorum && someone_else_holds) ? Outcome::busy
                                                             : Outcome::timed_out;
    out.detail = short_of_quorum ? "granted by " + std::to_string(held.size()) + " of " +
                                       std::to_string(nodes_.size()) + " nodes, quorum " +
                                       std::to_string(options_.quorum)
                                 : "validity not positive: the attempt took too long";
    if (refusals_decide && may_hold) {
      out.detail += "; refused by enough nodes, one of them held by another client — requests "
                    "still unanswered are undone by the release or expire by the TTL";
    }
    return out;
  }

  // Lifts each granting node's counter to `fence`, so that any later grant,
  // which must INCR on at least one of these nodes, draws a larger token.
  // Returns the nodes that confirmed.
  std::vector<std::size_t> raise_fence(const std::string& key, std::uint64_t fence,
                                       const std::vector<std::size_t>& granted_nodes,
                                       time_point deadline, std::stop_token stop) {
    const time_point until = std::min(deadline, backend_.now() + options_.node_timeout);
    std::vector<NodeResult> raised =
        detail::run_script(backend_, scripts::raise_counter, granted_nodes, {fence_key(key)},
                           {std::to_string(fence)}, until, stop);
    std::vector<std::size_t> confirmed;
    for (std::size_t i = 0; i < raised.size(); ++i) {
      if (raised[i] && raised[i]->type == ReplyType::integer &&
          static_cast<std::uint64_t>(raised[i]->integer) >= fence) {
        confirmed.push_back(granted_nodes[i]);
      }
    }
    return confirmed;
  }

  static std::string fence_key(const std::string& key) { return key + ":fence"; }

  B& backend_;
  std::vector<std::size_t> nodes_;
  ValidatedOptions options_;
};

// The single-node lock: SET NX PX, Lua compare-and-delete and
// compare-and-pexpire, on one node (RedLock with N = 1, quorum 1).
template <Backend B>
class SingleNodeLock : public RedLock<B> {
 public:
  explicit SingleNodeLock(B& backend, LockOptions options = {}, std::size_t node = 0)
      : RedLock<B>(backend, single(options), {node}, "SingleNodeLock") {}

 private:
  static LockOptions single(LockOptions o) {
    if (o.quorum && *o.quorum != 1) {
      throw ConfigError("SingleNodeLock: quorum must be 1 (one node), got " +
                        std::to_string(*o.quorum));
    }
    o.quorum = 1;
    return o;
  }
};

}  // namespace locklab::lock
