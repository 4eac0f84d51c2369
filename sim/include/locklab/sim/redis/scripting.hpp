// locklab/sim/redis/scripting.hpp — EVAL in a real embedded Lua 5.1.
//
// Provides ScriptEngine: one Lua 5.1 state per node (the Lua that Redis
// embeds, Debian's liblua5.1), with KEYS and ARGV, redis.call and redis.pcall
// bound to a command callback (the node's keyspace), redis.error_reply,
// redis.status_reply, redis.sha1hex, Redis's conversions between Lua values
// and RESP replies in both directions, scripts cached by SHA1 (f_<sha1> as in
// Redis), and script errors shaped as redis-server 7.0 shapes them.
// A script runs to completion before anything else happens on the node
// (atomicity comes from the caller not interleaving).
//
// Scripts see no wall clock and no randomness: os, io, loadfile, dofile and
// math.random are not available, as in Redis. The cache is empty after
// flush() and in a new engine (a restarted node).
//
//   ScriptEngine lua([&](const Argv& argv) { return node.execute_from_script(argv); });
//   Reply r = lua.eval("return redis.call('GET', KEYS[1])", {"k"}, {});
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "locklab/sim/redis/resp.hpp"

struct lua_State;

namespace locklab::sim::redis {

class ScriptEngine {
 public:
  // `call` runs one command for redis.call / redis.pcall and returns its reply.
  using CommandCall = std::function<Reply(const Argv& argv)>;

  explicit ScriptEngine(CommandCall call);
  ~ScriptEngine();
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // EVAL body numkeys key... arg...: argv as the client sent it, from "EVAL".
  Reply eval(const Argv& argv);
  // EVALSHA sha1 numkeys key... arg...
  Reply evalsha(const Argv& argv);
  // SCRIPT LOAD body: the SHA1 as a bulk reply (or an error for bad code).
  Reply load(std::string_view body);
  bool exists(std::string_view sha1) const;
  void flush();

  // Lower-case hex SHA1 of `text`, as redis.sha1hex and SCRIPT LOAD compute it.
  static std::string sha1_hex(std::string_view text);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace locklab::sim::redis
