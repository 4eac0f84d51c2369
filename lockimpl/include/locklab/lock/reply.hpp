// locklab/lock/reply.hpp — what a Redis node answers, as the algorithms see it.
//
// Provides Reply (a RESP2 value: status, error, integer, bulk, nil, array),
// Command (a command's arguments, binary-safe) and NodeError / NodeResult: a
// reply, or why there is none — with the one fact an algorithm must never
// lose, whether the command may have been applied anyway (a request that
// timed out after it was sent may still be executed by the node).
//
// Backends translate their own replies into these (the simulated node's RESP
// values, hiredis's redisReply), so lockimpl reads one shape in both worlds.
//
// Deliberately absent: RESP3, and any parsing — a backend delivers values.
//
//   NodeResult r = backend.call(0, {"SET", key, token, "NX", "PX", "10000"}, deadline);
//   if (!r && r.error().maybe_applied) { /* indeterminate: may hold it */ }
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace locklab::lock {

using Command = std::vector<std::string>;

enum class ReplyType : std::uint8_t { status, error, integer, bulk, nil, array };

struct Reply {
  ReplyType type = ReplyType::nil;
  std::string str;              // status, error (without '-'), bulk
  std::int64_t integer = 0;     // integer
  std::vector<Reply> elements;  // array

  static Reply status(std::string s) { return {ReplyType::status, std::move(s), 0, {}}; }
  static Reply error(std::string s) { return {ReplyType::error, std::move(s), 0, {}}; }
  static Reply integer_reply(std::int64_t n) { return {ReplyType::integer, {}, n, {}}; }
  static Reply bulk(std::string s) { return {ReplyType::bulk, std::move(s), 0, {}}; }
  static Reply nil() { return {}; }

  bool is_error() const { return type == ReplyType::error; }
  bool is_nil() const { return type == ReplyType::nil; }
  bool is_ok() const { return type == ReplyType::status && str == "OK"; }
  bool is_integer(std::int64_t n) const { return type == ReplyType::integer && integer == n; }
  // An error reply whose first word is `code` ("NOSCRIPT", "READONLY", ...).
  bool is_error_code(std::string_view code) const {
    return is_error() && std::string_view(str).substr(0, code.size()) == code &&
           (str.size() == code.size() || str[code.size()] == ' ');
  }
  friend bool operator==(const Reply&, const Reply&) = default;
};

// Why a node gave no reply.
enum class NodeErrorKind : std::uint8_t {
  timed_out,        // no reply by the deadline
  refused,          // the connection could not be opened (refused, unreachable)
  connection_lost,  // the connection broke (reset, closed) while the request was out
  protocol,         // the bytes were not a reply
  cancelled,        // the caller's stop token fired first
  killed,           // the calling process is gone (simulation) or shutting down
  no_slot,          // the in-flight request limit left no room before the deadline
};
std::string_view name_of(NodeErrorKind kind);

struct NodeError {
  NodeErrorKind kind = NodeErrorKind::timed_out;
  // True when the node may have executed the command: it was sent (or may
  // have been) and no reply says otherwise. Never true for refused/no_slot.
  bool maybe_applied = false;
  std::string detail;
};

using NodeResult = std::expected<Reply, NodeError>;

inline std::string_view name_of(NodeErrorKind kind) {
  switch (kind) {
    case NodeErrorKind::timed_out: return "timed_out";
    case NodeErrorKind::refused: return "refused";
    case NodeErrorKind::connection_lost: return "connection_lost";
    case NodeErrorKind::protocol: return "protocol";
    case NodeErrorKind::cancelled: return "cancelled";
    case NodeErrorKind::killed: return "killed";
    case NodeErrorKind::no_slot: return "no_slot";
  }
  return "unknown";
}

}  // namespace locklab::lock
