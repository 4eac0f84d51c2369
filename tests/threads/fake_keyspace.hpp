// tests/threads/fake_keyspace.hpp — one fake Redis node's data and script
// cache, and the commands the lock algorithms send, applied to them.
//
// Provides FakeKeyspace: string keys with optional expiry on
// std::chrono::steady_clock (a key whose expiry is `when` is gone once
// now >= when), a script cache of SHA1 digests, and execute(), which applies
// one command and returns its Reply as Redis would: PING, SET key value
// [NX|XX] [PX ms|EX s], GET, DEL key..., PEXPIRE, PTTL, INCR, EVAL, EVALSHA,
// SCRIPT FLUSH|LOAD. The four scripts of locklab/lock/scripts.hpp run as
// native C++ with the same effects (a write before a failing call inside a
// script stays, as in Redis); EVAL recognises a script by its exact text and
// caches its digest, EVALSHA by its digest and answers NOSCRIPT when the
// cache lacks it.
//
// Deliberately absent: Lua (EVAL of any other script answers an error
// reply), types other than strings, keyspace-wide commands, replication,
// persistence — and threads: FakeRedis (fake_redis.hpp) owns the locking and
// the faults.
//
//   FakeKeyspace keys;
//   lock::Reply r = keys.execute({"SET", "k", "v", "NX", "PX", "1000"}, clock::now());
//
// Threads: FakeKeyspace is not thread-safe; its owner serialises every call.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/reply.hpp"

namespace locklab::testing {

class FakeKeyspace {
 public:
  using clock = std::chrono::steady_clock;

  // Applies `command` at time `now` (one reading for the whole command, as a
  // Redis script sees one time throughout).
  lock::Reply execute(const lock::Command& command, clock::time_point now);

  // The key's value at `now`, without changing anything.
  std::optional<std::string> get(std::string_view key, clock::time_point now) const;

  // Empties the script cache, as after a restart or SCRIPT FLUSH.
  void flush_scripts() { scripts_.clear(); }

 private:
  struct Entry {
    std::string value;
    std::optional<clock::time_point> expires;
  };
  using Args = std::vector<std::string_view>;

  // The live entry for `key`, erasing it first if it has expired.
  Entry* find(std::string_view key, clock::time_point now);

  lock::Reply set(const Args& args, clock::time_point now);
  lock::Reply get_command(const Args& args, clock::time_point now);
  lock::Reply del(const Args& args, clock::time_point now);
  lock::Reply pexpire(const Args& args, clock::time_point now);
  lock::Reply pttl(const Args& args, clock::time_point now);
  lock::Reply incr(const Args& args, clock::time_point now);
  lock::Reply eval(const Args& args, bool by_digest, clock::time_point now);
  lock::Reply script(const Args& args);
  lock::Reply run_script(std::string_view digest, const Args& keys, const Args& argv,
                         clock::time_point now);

  std::map<std::string, Entry, std::less<>> keys_;
  std::set<std::string, std::less<>> scripts_;  // digests, lower case
};

}  // namespace locklab::testing
