// tests/threads/fake_redis.hpp — N in-memory Redis nodes that many threads
// may talk to at once, with the faults a lock test needs, as knobs.
//
// Provides FakeRedis: nodes addressed by index, each a FakeKeyspace
// (fake_keyspace.hpp: the commands and the four lock scripts) behind its own
// mutex, and request(), the server side of one request as a client sees it —
// a Reply (error replies included) or a NodeError saying whether the command
// may have been applied. Faults, each a knob that holds until changed:
//   set_down(node, true)           requests are refused (refused,
//                                  maybe_applied = false), nothing applied;
//   set_delay(node, d)             each request waits d, then is applied, and
//                                  the reply comes after (a caller that gave
//                                  up meanwhile never sees it: it "arrived
//                                  late" but was applied all the same);
//   inject_error(node, text)       every command answers the error reply
//                                  `text` (e.g. "LOADING ...") until
//                                  clear_error(node);
//   drop_connection_after_apply(node, n)
//                                  the next n requests are applied, then
//                                  answered connection_lost, maybe_applied;
//   flush_scripts(node)            the script cache is emptied, as after a
//                                  restart (the data stays).
// A node taken down while a request waits out its delay answers that request
// connection_lost, maybe_applied = true (the client cannot tell), unapplied.
//
// Deliberately absent: a network, connections, RESP, Lua, replication, and
// any notion of time but std::chrono::steady_clock (which is what expiry
// uses). The thread backend (thread_backend.hpp) adds the connection
// behaviour a client sees: deadlines, cancellation, the NOSCRIPT fallback.
//
//   FakeRedis redis(3);
//   redis.set_delay(1, 50ms);
//   redis.inject_error(2, "LOADING Redis is loading the dataset in memory");
//   ThreadBackend backend(redis, 3);
//   ...
//   EXPECT_TRUE(redis.exists(0, "orders"));
//
// Threads: FakeRedis is thread-safe — every member may be called from any
// thread at once; one node's commands apply one at a time, in the order they
// take the node's mutex, and nodes never block one another. It must outlive
// every backend built over it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/reply.hpp"

namespace locklab::testing {

class FakeRedis {
 public:
  using clock = std::chrono::steady_clock;

  explicit FakeRedis(std::size_t node_count);
  ~FakeRedis();
  FakeRedis(const FakeRedis&) = delete;
  FakeRedis& operator=(const FakeRedis&) = delete;

  std::size_t node_count() const { return nodes_.size(); }
  std::string node_name(std::size_t node) const;  // "fake-redis-<node>"

  // One request to `node`, from send to reply, on the calling thread: waits
  // the node's delay (cut short if `hurry` fires: the request is then applied
  // at once), then applies the command unless a fault says otherwise.
  lock::NodeResult request(std::size_t node, const lock::Command& command,
                           std::stop_token hurry = {});

  // Faults (see the header comment).
  void set_down(std::size_t node, bool down);
  void set_delay(std::size_t node, clock::duration delay);
  void inject_error(std::size_t node, std::string error_text);
  void clear_error(std::size_t node);
  void drop_connection_after_apply(std::size_t node, int count);
  void flush_scripts(std::size_t node);

  // Reads for assertions; they count as no command.
  std::optional<std::string> get(std::size_t node, std::string_view key) const;
  bool exists(std::size_t node, std::string_view key) const;
  // Commands that reached the node (applied, or answered an injected error);
  // a refused request is not one.
  std::uint64_t commands_seen(std::size_t node) const;
  // Requests to `node` waiting out its delay right now ("on the wire"): lets
  // a test act while a request is surely in transit.
  std::size_t in_transit(std::size_t node) const;

 private:
  struct Node;
  Node& at(std::size_t node) const;

  std::vector<std::unique_ptr<Node>> nodes_;  // a Node holds a mutex: never moved
};

}  // namespace locklab::testing
