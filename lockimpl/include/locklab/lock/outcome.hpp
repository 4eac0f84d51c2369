// locklab/lock/outcome.hpp — what locking, extending and releasing return.
//
// Provides Outcome and the result types every algorithm returns: values the
// caller must look at ([[nodiscard]]), never exceptions. Each result keeps the
// per-node detail of its last attempt, for reports and for the caller who
// wants to know which nodes answered what.
//
// The outcomes, and where each appears:
//   acquired       acquire: the lease is held (within its validity).
//   busy           acquire: definitely not held; another holder has it.
//   timed_out      acquire: the deadline came before a grant.
//   indeterminate  acquire: not granted, but some node may still hold the key
//                  for us (a request timed out after it was sent and the
//                  release could not confirm); release: some node did not
//                  confirm. The key frees by its TTL at the latest.
//   lost           extend: the lease could not be renewed (expired, or no
//                  quorum) — stop using the resource.
//   extended       extend: renewed; the lease carries the new validity end.
//   released       release: the key is gone from every node that answered.
//   not_held       release: no node held our token (it had expired).
//   cancelled      any: the caller's stop token fired first, or the backend
//                  could not start a task the call needed (shutting down).
//   invalid        any: the call broke a documented precondition that is the
//                  caller's to get right at run time (a missing deadline when
//                  LockOptions::require_deadline is set, a call's own TTL not
//                  longer than the node timeout); `detail` says which.
//
// A node's error reply is a refusal: NodeOutcome::redis_error() types it
// (redis_error.hpp) — LOADING, READONLY, credentials and the rest.
#pragma once

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/redis_error.hpp"
#include "locklab/lock/reply.hpp"

namespace locklab::lock {

enum class Outcome : std::uint8_t {
  acquired,
  busy,
  timed_out,
  indeterminate,
  lost,
  extended,
  released,
  not_held,
  cancelled,
  invalid,
};

inline std::string_view name_of(Outcome o) {
  switch (o) {
    case Outcome::acquired: return "acquired";
    case Outcome::busy: return "busy";
    case Outcome::timed_out: return "timed_out";
    case Outcome::indeterminate: return "indeterminate";
    case Outcome::lost: return "lost";
    case Outcome::extended: return "extended";
    case Outcome::released: return "released";
    case Outcome::not_held: return "not_held";
    case Outcome::cancelled: return "cancelled";
    case Outcome::invalid: return "invalid";
  }
  return "unknown";
}

// One node's part in an attempt.
struct NodeOutcome {
  std::size_t node = 0;
  NodeResult result{};   // the reply or why none came
  bool granted = false;  // this node counted towards the quorum

  // The node's error reply, typed; nullopt when it answered otherwise or not at all.
  std::optional<RedisErrorKind> redis_error() const { return redis_error_of(result); }
};

// A held lock: what the holder needs to use, extend and release it.
template <typename TimePoint>
struct Lease {
  using TimePointType = TimePoint;
  std::string key{};
  std::string token{};  // 128 random bits, 32 hex digits: only its holder knows it
  std::optional<std::uint64_t> fencing_token{};
  TimePoint attempt_started{};  // on the holder's clock
  TimePoint validity_end{};     // on the holder's clock: believe nothing after it
  std::vector<std::size_t> nodes{};  // the nodes that granted
  std::chrono::milliseconds ttl{};

  bool valid_at(TimePoint now) const { return now < validity_end; }
};

template <typename TimePoint>
struct [[nodiscard]] AcquireResult {
  Outcome outcome = Outcome::timed_out;
  std::optional<Lease<TimePoint>> lease{};  // set exactly when acquired
  std::vector<NodeOutcome> nodes{};         // the last attempt's detail
  int attempts = 0;
  std::string detail{};

  bool acquired() const { return outcome == Outcome::acquired; }
  explicit operator bool() const { return acquired(); }
};

struct [[nodiscard]] ExtendResult {
  Outcome outcome = Outcome::lost;  // extended, lost, cancelled, invalid
  std::vector<NodeOutcome> nodes{};
  std::string detail{};
  bool extended() const { return outcome == Outcome::extended; }
  explicit operator bool() const { return extended(); }
};

struct [[nodiscard]] ReleaseResult {
  Outcome outcome = Outcome::indeterminate;  // released, not_held, indeterminate, cancelled, invalid
  std::vector<NodeOutcome> nodes{};
  std::string detail{};
  bool released() const { return outcome == Outcome::released; }
};

}  // namespace locklab::lock
