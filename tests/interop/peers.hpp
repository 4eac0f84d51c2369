// tests/interop/peers.hpp — the other libraries on the same key: redis-py's
// Lock (py_lock.py, run by /usr/bin/python3) and node-redlock over ioredis
// (node/node_lock.js, run by `node` from PATH), each one operation per child
// process with a time limit.
//
// Provides py_acquire/py_release (one server), node_acquire/node_release
// (one or more servers: node-redlock's own quorum), the exit codes those
// scripts promise, and redis_py_problem()/node_redlock_problem(): empty when
// the peer is usable, otherwise what is missing and how to install it, so a
// test fails with that message instead of skipping.
//
//   ChildResult r = py_acquire(port, "orders", 30s);
//   ASSERT_EQ(r.exit_code, kPeerDone) << r.describe();
//   std::string token = first_line(r.out);
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace locklab::interop_test {

// The scripts' exit codes (see their headers).
inline constexpr int kPeerDone = 0;
inline constexpr int kPeerRefused = 1;  // the key is someone else's

ChildResult py_acquire(int port, const std::string& key, std::chrono::milliseconds ttl);
ChildResult py_release(int port, const std::string& key, const std::string& token);
ChildResult node_acquire(const std::vector<int>& ports, const std::string& key,
                         std::chrono::milliseconds ttl);
ChildResult node_release(const std::vector<int>& ports, const std::string& key,
                         const std::string& value);

std::string redis_py_problem();
std::string node_redlock_problem();

// A token equal to `token` but for its last character: a release with it
// must be refused, which a check of a prefix or of the length would miss.
inline std::string other_owner(std::string token) {
  if (!token.empty()) token.back() = token.back() == '0' ? '1' : '0';
  return token;
}

// The first line of a script's output (the token it stored), without '\n'.
std::string first_line(const std::string& text);

}  // namespace locklab::interop_test
