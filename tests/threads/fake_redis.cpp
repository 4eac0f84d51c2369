#include "fake_redis.hpp"

#include <condition_variable>
#include <mutex>
#include <utility>

#include "fake_keyspace.hpp"
#include "locklab/assert.hpp"
#include "waiting.hpp"

namespace locklab::testing {

struct FakeRedis::Node {
  mutable std::mutex mutex;
  FakeKeyspace keys;
  bool down = false;
  clock::duration delay{0};
  std::optional<std::string> error;  // injected: every command answers it
  int drops_left = 0;                // applied, then the connection dies
  std::uint64_t seen = 0;
  std::size_t in_transit = 0;  // requests waiting out `delay`
};

FakeRedis::FakeRedis(std::size_t node_count) {
  LOCKLAB_ASSERT(node_count > 0, "a FakeRedis needs at least one node");
  nodes_.reserve(node_count);
  for (std::size_t i = 0; i < node_count; ++i) nodes_.push_back(std::make_unique<Node>());
}

FakeRedis::~FakeRedis() = default;

FakeRedis::Node& FakeRedis::at(std::size_t node) const {
  LOCKLAB_ASSERT_LT(node, nodes_.size());
  return *nodes_[node];
}

std::string FakeRedis::node_name(std::size_t node) const {
  LOCKLAB_ASSERT_LT(node, nodes_.size());
  return "fake-redis-" + std::to_string(node);
}

lock::NodeResult FakeRedis::request(std::size_t node, const lock::Command& command,
                                    std::stop_token hurry) {
  Node& n = at(node);
  clock::duration delay{0};
  {
    const std::lock_guard guard(n.mutex);
    if (n.down) {
      return std::unexpected(lock::NodeError{lock::NodeErrorKind::refused, false,
                                             node_name(node) + " is down: connection refused"});
    }
    delay = n.delay;
    if (delay > clock::duration::zero()) ++n.in_transit;
  }
  if (delay > clock::duration::zero()) {
    // The request is on its way: nothing but `hurry` shortens the trip.
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    const clock::time_point now = clock::now();
    const clock::time_point until =  // a delay of duration::max() is "forever"
        delay >= clock::time_point::max() - now ? clock::time_point::max() : now + delay;
    (void)detail::wait_until(cv, lock, hurry, until, [] { return false; });
  }

  const std::lock_guard guard(n.mutex);
  if (delay > clock::duration::zero()) --n.in_transit;
  if (n.down) {
    return std::unexpected(lock::NodeError{lock::NodeErrorKind::connection_lost, true,
                                           node_name(node) + " went down with the request out"});
  }
  ++n.seen;
  if (n.error) return lock::Reply::error(*n.error);
  lock::Reply reply = n.keys.execute(command, clock::now());
  if (n.drops_left > 0) {
    --n.drops_left;
    return std::unexpected(lock::NodeError{lock::NodeErrorKind::connection_lost, true,
                                           "connection lost after " + node_name(node) +
                                               " applied the command"});
  }
  return reply;
}

void FakeRedis::set_down(std::size_t node, bool down) {
  Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  n.down = down;
}

void FakeRedis::set_delay(std::size_t node, clock::duration delay) {
  LOCKLAB_ASSERT(delay >= clock::duration::zero(), "a delay cannot be negative");
  Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  n.delay = delay;
}

void FakeRedis::inject_error(std::size_t node, std::string error_text) {
  LOCKLAB_ASSERT(!error_text.empty(), "an injected error needs its text (clear_error clears)");
  Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  n.error = std::move(error_text);
}

void FakeRedis::clear_error(std::size_t node) {
  Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  n.error.reset();
}

void FakeRedis::drop_connection_after_apply(std::size_t node, int count) {
  LOCKLAB_ASSERT_GE(count, 0);
  Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  n.drops_left = count;
}

void FakeRedis::flush_scripts(std::size_t node) {
  Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  n.keys.flush_scripts();
}

std::optional<std::string> FakeRedis::get(std::size_t node, std::string_view key) const {
  const Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  return n.keys.get(key, clock::now());
}

bool FakeRedis::exists(std::size_t node, std::string_view key) const {
  return get(node, key).has_value();
}

std::uint64_t FakeRedis::commands_seen(std::size_t node) const {
  const Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  return n.seen;
}

std::size_t FakeRedis::in_transit(std::size_t node) const {
  const Node& n = at(node);
  const std::lock_guard guard(n.mutex);
  return n.in_transit;
}

}  // namespace locklab::testing
