// locklab/lock/reply.hpp — what a Redis node answers, as the algorithms see it.
//
// Provides Reply (a RESP2 value: status, error, integer, bulk, nil, array —
// the one value type of locklab: the simulated nodes answer in it too),
// Command (a command's arguments, binary-safe, as views of the caller's
// strings) and NodeError / NodeResult: a
// reply, or why there is none — with the one fact an algorithm must never
// lose, whether the command may have been applied anyway (a request that
// timed out after it was sent may still be executed by the node).
//
// Backends deliver their replies as these (the simulated nodes' RESP layer
// uses this very type; the hiredis backend converts its redisReply), so
// lockimpl reads one shape in both worlds.
//
// Deliberately absent: RESP3, and any parsing — a backend delivers values.
//
//   NodeResult r = backend.call(0, {"SET", key, token, "NX", "PX", "10000"}, deadline);
//   if (!r && r.error().maybe_applied) { /* indeterminate: may hold it */ }
#pragma once

#include <cstdint>
#include <expected>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace locklab::lock {

// Views, not copies: a command is built for one call (or one fan-out) from
// the caller's key and token, which outlive it. A backend must not keep the
// views past the call's return; one that needs the arguments longer (a
// request still out in the background) copies them.
using Command = std::vector<std::string_view>;

enum class ReplyType : std::uint8_t { status, error, integer, bulk, nil, array };

struct Reply {
  ReplyType type = ReplyType::nil;
  std::string str{};            // status, error (without '-'), bulk
  std::int64_t integer = 0;     // integer
  std::vector<Reply> elements{};  // array

  static Reply status(std::string s) { return {ReplyType::status, std::move(s), 0, {}}; }
  static Reply error(std::string s) { return {ReplyType::error, std::move(s), 0, {}}; }
  static Reply integer_reply(std::int64_t n) { return {ReplyType::integer, {}, n, {}}; }
  static Reply bulk(std::string s) { return {ReplyType::bulk, std::move(s), 0, {}}; }
  static Reply nil() { return {}; }
  static Reply array(std::vector<Reply> items) { return {ReplyType::array, {}, 0, std::move(items)}; }
  static Reply ok() { return status("OK"); }

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

namespace detail {
inline void display_into(std::string& out, const Reply& r, std::size_t indent) {
  switch (r.type) {
    case ReplyType::status: out += r.str; return;
    case ReplyType::error: out += "(error) " + r.str; return;
    case ReplyType::integer: out += "(integer) " + std::to_string(r.integer); return;
    case ReplyType::bulk: out += '"' + r.str + '"'; return;
    case ReplyType::nil: out += "(nil)"; return;
    case ReplyType::array:
      if (r.elements.empty()) {
        out += "(empty array)";
        return;
      }
      for (std::size_t i = 0; i < r.elements.size(); ++i) {
        if (i > 0) {
          out += '\n';
          out.append(indent, ' ');
        }
        out += std::to_string(i + 1) + ") ";
        display_into(out, r.elements[i], indent + 3);
      }
      return;
  }
}
}  // namespace detail

// Human-readable, as redis-cli shows it: OK, (error) ERR ..., (integer) 1,
// "abc", (nil), 1) ... — for test failures, traces and logs.
inline std::string to_display(const Reply& reply) {
  std::string out;
  detail::display_into(out, reply, 0);
  return out;
}

// GoogleTest and streams print replies as redis-cli shows them.
inline std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  return out << to_display(reply);
}

// Why a node gave no reply.
enum class NodeErrorKind : std::uint8_t {
  timed_out,        // no reply by the deadline
  refused,          // the connection could not be opened (refused, unreachable)
  connection_lost,  // the connection broke (reset, closed) while the request was out
  protocol,         // the bytes were not a reply
  cancelled,        // the caller's stop token fired first
  killed,           // the calling process is gone (simulation) or shutting down
  no_slot,          // the in-flight request limit left no room before the deadline
  misconfigured,    // the node's configuration is wrong: credentials or db refused,
                    // or it is the same server as another node; nothing was sent
};
std::string_view name_of(NodeErrorKind kind);

struct NodeError {
  NodeErrorKind kind = NodeErrorKind::timed_out;
  // True when the node may have executed the command: it was sent (or may
  // have been) and no reply says otherwise. Never true for refused, no_slot
  // or misconfigured.
  bool maybe_applied = false;
  std::string detail{};
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
    case NodeErrorKind::misconfigured: return "misconfigured";
  }
  return "unknown";
}

}  // namespace locklab::lock
