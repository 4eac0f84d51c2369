// locklab/lock/redis_error.hpp — Redis error replies, typed.
//
// Provides RedisErrorKind, classify() and retry_may_help(): the one mapping
// from an error reply's first word to what it means for a lock, used by the
// algorithms, by every backend (the NOSCRIPT fallback) and by reports. An
// error reply is a refusal by that node: the command was not applied.
//
//   loading      LOADING: the server is loading its AOF or RDB after a
//                restart (retry may help);
//   busy         BUSY: a script is running too long (retry may help);
//   misconf      MISCONF: writes refused after a failed RDB save (retry may
//                help, once the disk is fixed);
//   readonly     READONLY: a replica, not a master (the deployment is wrong
//                or a failover is under way);
//   credentials  NOAUTH, WRONGPASS, NOPERM: refused for the credentials;
//   oom          OOM: maxmemory reached with a policy that refuses writes;
//   noscript     NOSCRIPT: the script cache lacks the digest (after a
//                restart); backends answer it with the EVAL fallback;
//   other        anything else (ERR, WRONGTYPE, ...).
//
// Deliberately absent: any decision. The locks count a typed error as a
// node that refused; the caller reads the kind in the per-node detail.
//
//   if (auto kind = redis_error_of(result); kind && retry_may_help(*kind)) ...
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "locklab/lock/reply.hpp"

namespace locklab::lock {

enum class RedisErrorKind : std::uint8_t {
  loading,
  busy,
  misconf,
  readonly,
  credentials,
  oom,
  noscript,
  other,
};

// The kind of an error reply's text (without the leading '-').
inline RedisErrorKind classify(std::string_view error_text) {
  const std::string_view code = error_text.substr(0, error_text.find(' '));
  if (code == "LOADING") return RedisErrorKind::loading;
  if (code == "BUSY") return RedisErrorKind::busy;
  if (code == "MISCONF") return RedisErrorKind::misconf;
  if (code == "READONLY") return RedisErrorKind::readonly;
  if (code == "NOAUTH" || code == "WRONGPASS" || code == "NOPERM") {
    return RedisErrorKind::credentials;
  }
  if (code == "OOM") return RedisErrorKind::oom;
  if (code == "NOSCRIPT") return RedisErrorKind::noscript;
  return RedisErrorKind::other;
}

// A reply's error kind; nullopt when it is not an error reply.
inline std::optional<RedisErrorKind> redis_error_of(const Reply& reply) {
  if (!reply.is_error()) return std::nullopt;
  return classify(reply.str);
}
inline std::optional<RedisErrorKind> redis_error_of(const NodeResult& result) {
  if (!result) return std::nullopt;
  return redis_error_of(*result);
}

// Whether the same command may succeed later on the same node unchanged.
inline bool retry_may_help(RedisErrorKind kind) {
  return kind == RedisErrorKind::loading || kind == RedisErrorKind::busy ||
         kind == RedisErrorKind::misconf;
}

inline bool is_noscript(const NodeResult& result) {
  return redis_error_of(result) == RedisErrorKind::noscript;
}

inline std::string_view name_of(RedisErrorKind kind) {
  switch (kind) {
    case RedisErrorKind::loading: return "loading";
    case RedisErrorKind::busy: return "busy";
    case RedisErrorKind::misconf: return "misconf";
    case RedisErrorKind::readonly: return "readonly";
    case RedisErrorKind::credentials: return "credentials";
    case RedisErrorKind::oom: return "oom";
    case RedisErrorKind::noscript: return "noscript";
    case RedisErrorKind::other: return "other";
  }
  return "unknown";
}

}  // namespace locklab::lock
