// locklab/lock/detail/script_call.hpp — run a Lua script on several nodes by
// EVALSHA, with EVAL as the fallback where a node answers NOSCRIPT.
//
// A node's script cache is empty after every restart, so NOSCRIPT is a normal
// answer, not an error. The backend sends the EVAL on the connection that
// answered NOSCRIPT, at once and within the same deadline (backend.hpp), so a
// cold node costs one more round trip for that node alone: it never waits for
// the other nodes' replies, and the EVAL never goes out after the attempt's
// deadline has been spent elsewhere. The caller's observer never sees a
// NOSCRIPT reply.
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
#include "locklab/lock/redis_error.hpp"
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

// Runs `script` on each of `nodes`; results are index-aligned with `nodes`.
// One command serves every node (and one EVAL every node that needs it).
template <Backend B>
std::vector<NodeResult> run_script(B& backend, const Script& script,
                                   std::span<const std::size_t> nodes, Strings keys,
                                   Strings args,
                                   typename B::time_point deadline, std::stop_token stop,
                                   const ReplyObserver& observer = {}) {
  std::vector<NodeResult> results =
      backend.fan_out(nodes, script_command(true, script, keys, args), deadline, stop, observer,
                      script_command(false, script, keys, args));
  LOCKLAB_ASSERT_EQ(results.size(), nodes.size());
  return results;
}

}  // namespace locklab::lock::detail
