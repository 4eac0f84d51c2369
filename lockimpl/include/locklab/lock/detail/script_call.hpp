// locklab/lock/detail/script_call.hpp — run a Lua script on several nodes by
// EVALSHA, falling back to EVAL where a node answers NOSCRIPT.
//
// A node's script cache is empty after every restart, so NOSCRIPT is a normal
// answer, not an error: those nodes get the same request again as EVAL within
// the same deadline (one more round trip for them only). The caller's
// observer never sees a NOSCRIPT reply.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/assert.hpp"
#include "locklab/lock/backend.hpp"
#include "locklab/lock/scripts.hpp"

namespace locklab::lock::detail {

// Keys and arguments are views: the caller's strings (or temporaries of the
// calling expression), which the command views in turn (Command is views).
using Strings = std::initializer_list<std::string_view>;

inline Command script_command(bool by_digest, const Script& script, Strings keys, Strings args) {
  // numkeys as text with static storage (no script here takes ten keys).
  static constexpr std::string_view kCounts[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  LOCKLAB_ASSERT_LT(keys.size(), std::size(kCounts));
  Command c;
  c.reserve(3 + keys.size() + args.size());
  c.emplace_back(by_digest ? "EVALSHA" : "EVAL");
  c.emplace_back(by_digest ? script.sha1 : script.text);
  c.emplace_back(kCounts[keys.size()]);
  for (std::string_view k : keys) c.emplace_back(k);
  for (std::string_view a : args) c.emplace_back(a);
  return c;
}

inline bool is_noscript(const NodeResult& r) { return r && r->is_error_code("NOSCRIPT"); }

// Runs `script` on each of `nodes`; results are index-aligned with `nodes`.
// One command serves every node (and one EVAL every node that needs it).
template <Backend B>
std::vector<NodeResult> run_script(B& backend, const Script& script,
                                   std::span<const std::size_t> nodes, Strings keys,
                                   Strings args,
                                   typename B::time_point deadline, std::stop_token stop,
                                   const ReplyObserver& observer = {}) {
  bool stopped = false;
  // Without an observer of the caller's, pass none: a backend may then take a
  // cheaper path (no per-reply wake-ups); NOSCRIPT is handled below anyway.
  ReplyObserver first_round;
  if (observer) {
    first_round = [&](std::size_t i, const NodeResult& r) {
      if (is_noscript(r)) return true;
      if (!observer(i, r)) stopped = true;
      return !stopped;
    };
  }
  std::vector<NodeResult> results = backend.fan_out(
      nodes, script_command(true, script, keys, args), deadline, stop, first_round);
  if (stopped) return results;

  std::vector<std::size_t> again;  // the nodes that answered NOSCRIPT
  std::vector<std::size_t> where;  // index in `results` of each retried request
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!is_noscript(results[i])) continue;
    again.push_back(nodes[i]);
    where.push_back(i);
  }
  if (again.empty()) return results;
  ReplyObserver second_round;
  if (observer) {
    second_round = [&](std::size_t j, const NodeResult& r) { return observer(where[j], r); };
  }
  std::vector<NodeResult> retried = backend.fan_out(
      again, script_command(false, script, keys, args), deadline, stop, second_round);
  for (std::size_t j = 0; j < retried.size(); ++j) results[where[j]] = std::move(retried[j]);
  return results;
}

}  // namespace locklab::lock::detail
