// locklab/sim/redis/commands.hpp — the commands a simulated node serves.
//
// Provides kEngineCommands (what redis::Engine executes: engine.cpp's
// command table is checked against this list at compile time), the
// commands the node itself serves around the Engine, and node_serves().
// Header-only, so a scenario file's loader can check a command step without
// linking the simulator. Constants: thread-safe.
#pragma once

#include <algorithm>
#include <string_view>

namespace locklab::sim::redis {

inline constexpr std::string_view kEngineCommands[] = {
    "ping", "set", "setnx", "get", "del", "exists", "expire", "pexpire",
    "pexpireat", "pttl", "ttl", "incr", "eval", "evalsha", "script"};

// Served by the node (server.cpp, replication.cpp, client_command.cpp).
// PSYNC, SYNC and REPLCONF are replication's own and not listed.
inline constexpr std::string_view kNodeCommands[] = {"wait", "replicaof", "slaveof", "client"};

// True if `arg` is `word` (given in lower case) in any case, as Redis
// reads command names and options.
inline bool is_word(std::string_view arg, std::string_view word) {
  return arg.size() == word.size() && std::equal(arg.begin(), arg.end(), word.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
         });
}

// Whether a simulated node answers `name` (in any case) as redis-server 7.0
// does, rather than as an unknown command.
inline bool node_serves(std::string_view name) {
  const auto same = [name](std::string_view word) { return is_word(name, word); };
  return std::any_of(std::begin(kEngineCommands), std::end(kEngineCommands), same) ||
         std::any_of(std::begin(kNodeCommands), std::end(kNodeCommands), same);
}

}  // namespace locklab::sim::redis
