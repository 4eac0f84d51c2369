// CLIENT ID and CLIENT KILL on a simulated node, with redis-server 7.0's
// replies and error texts (tests/redis/real/client_kill_differential_test.cpp
// compares them with a real server).
//
// CLIENT KILL closes the chosen connections at once, as Redis's freeClient
// does: the peer reads what was already delivered, then the end of the
// stream (or a reset, if the node had unread input from it). The caller's own
// connection, when chosen (SKIPME no, or the old ip:port form), closes after
// its reply. Simulated connections have no ip:port, so the old form finds no
// client and the ADDR and LADDR filters match none; the only user is
// "default", which every connection but a replica's link to its master is
// logged in as. Other CLIENT subcommands are unknown here.
#include <fmt/format.h>

#include <climits>
#include <optional>

#include "locklab/assert.hpp"
#include "node.hpp"
#include "redis_number.hpp"
#include "text.hpp"

namespace locklab::sim::redis {

namespace {

// Which connections CLIENT KILL's filters choose.
struct KillFilter {
  std::optional<std::uint64_t> id;
  std::optional<Node::ConnectionType> type;
  bool by_address = false;  // ADDR or LADDR: simulated connections have none
  bool by_user = false;     // USER default
  bool skip_me = true;
  bool pubsub = false;  // TYPE pubsub: no simulated connection subscribes

  bool chooses(std::uint64_t connection, Node::ConnectionType kind, std::uint64_t self) const {
    if (by_address || pubsub) return false;
    if (id && *id != connection) return false;
    if (type && *type != kind) return false;
    if (by_user && kind == Node::ConnectionType::master) return false;
    return !(skip_me && connection == self);
  }
};

Reply wrong_arity(std::string_view command) {
  return Reply::error(fmt::format("ERR wrong number of arguments for '{}' command", command));
}

std::optional<Node::ConnectionType> connection_type_named(std::string_view name, bool& pubsub) {
  if (is(name, "normal")) return Node::ConnectionType::normal;
  if (is(name, "replica") || is(name, "slave")) return Node::ConnectionType::replica;
  if (is(name, "master")) return Node::ConnectionType::master;
  if (is(name, "pubsub")) {
    pubsub = true;
    return Node::ConnectionType::normal;
  }
  return std::nullopt;
}

// The filters of the new form (CLIENT KILL <filter> <value> ...), or the
// error reply that refuses them.
std::expected<KillFilter, Reply> parse_filters(const Argv& argv) {
  KillFilter filter;
  for (std::size_t i = 2; i < argv.size(); i += 2) {
    const bool has_value = i + 1 < argv.size();
    const std::string& option = argv[i];
    if (!has_value) return std::unexpected(Reply::error("ERR syntax error"));
    const std::string& value = argv[i + 1];
    if (is(option, "id")) {
      const std::optional<std::int64_t> id = parse_redis_int(value);
      if (!id || *id < 1) return std::unexpected(Reply::error("ERR client-id should be greater than 0"));
      filter.id = static_cast<std::uint64_t>(*id);
    } else if (is(option, "type")) {
      filter.type = connection_type_named(value, filter.pubsub);
      if (!filter.type) return std::unexpected(Reply::error(fmt::format("ERR Unknown client type '{}'", value)));
    } else if (is(option, "addr") || is(option, "laddr")) {
      filter.by_address = true;
    } else if (is(option, "user")) {
      if (value != "default") return std::unexpected(Reply::error(fmt::format("ERR No such user '{}'", value)));
      filter.by_user = true;
    } else if (is(option, "skipme")) {
      if (is(value, "yes")) {
        filter.skip_me = true;
      } else if (is(value, "no")) {
        filter.skip_me = false;
      } else {
        return std::unexpected(Reply::error("ERR syntax error"));
      }
    } else {
      return std::unexpected(Reply::error("ERR syntax error"));
    }
  }
  return filter;
}

}  // namespace

Reply Node::client_command(const Argv& argv, std::uint64_t self, bool& close_self) {
  LOCKLAB_ASSERT(connections.contains(self), "CLIENT from a connection the node does not list");
  close_self = false;
  if (argv.size() < 2) return wrong_arity("client");
  const std::string& sub = argv[1];
  if (is(sub, "id")) {
    if (argv.size() != 2) return wrong_arity("client|id");
    return Reply::integer_reply(static_cast<std::int64_t>(self));
  }
  if (!is(sub, "kill")) {
    return Reply::error(fmt::format("ERR unknown subcommand '{}'. Try CLIENT HELP.", sub));
  }
  if (argv.size() < 3) return wrong_arity("client|kill");
  if (argv.size() == 3) return Reply::error("ERR No such client");  // CLIENT KILL ip:port
  std::expected<KillFilter, Reply> filter = parse_filters(argv);
  if (!filter) return std::move(filter.error());
  std::vector<std::shared_ptr<Socket>> chosen;
  for (const auto& [id, listed] : connections) {
    if (!filter->chooses(id, listed.type, self)) continue;
    if (id == self) {
      close_self = true;
      continue;
    }
    // A connection closed and not yet unlisted (its fiber has not run since)
    // is gone already, as in Redis.
    if (auto socket = listed.socket.lock(); socket && socket->valid()) chosen.push_back(std::move(socket));
  }
  const auto killed = static_cast<std::int64_t>(chosen.size() + (close_self ? 1 : 0));
  // Closed after the walk: a close wakes the connection's fiber, which
  // unlists it when it runs, never under this loop.
  for (const auto& socket : chosen) socket->close();
  return Reply::integer_reply(killed);
}

}  // namespace locklab::sim::redis
