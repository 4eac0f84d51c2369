// CLIENT KILL and CLIENT ID: the simulated node against a real redis-server
// 7.0. Each case opens three connections (c0 sends the command; c1 and c2
// are other normal clients), sends one CLIENT command on c0 with $c0, $c1
// and $c2 standing for the connections' CLIENT IDs, then probes each
// connection with PING: the reply and which connections the node closed
// must be the same on both sides, and as the case states.
//
// Every case runs on a fresh real server, so no connection of an earlier
// case (closed by the client, not yet noticed by the server) is counted. The
// real server is started by the test (locklab::realserver); the test fails,
// never skips, when redis-server is missing.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "locklab/realserver/server.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"
#include "support/redis_server.hpp"

namespace locklab::sim::redis {
namespace {

using namespace std::chrono_literals;
using test_support::RedisClient;
using test_support::RedisClientError;

constexpr std::size_t kConnections = 3;

struct Outcome {
  std::string reply;                     // to_display of c0's reply
  std::array<bool, kConnections> closed{};  // by the node, as PING found

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  out << o.reply << ", closed:";
  for (std::size_t i = 0; i < kConnections; ++i) out << (o.closed[i] ? " c" + std::to_string(i) : "");
  return out;
}

// The command with $c0..$c2 replaced by the connections' ids.
Argv with_ids(const Argv& argv, const std::array<std::int64_t, kConnections>& ids) {
  Argv out = argv;
  for (std::string& arg : out) {
    for (std::size_t i = 0; i < kConnections; ++i) {
      if (arg == "$c" + std::to_string(i)) arg = std::to_string(ids[i]);
    }
  }
  return out;
}

Outcome on_real_server(const Argv& argv) {
  realserver::Server server;
  std::vector<RedisClient> clients;
  std::array<std::int64_t, kConnections> ids{};
  for (std::size_t i = 0; i < kConnections; ++i) {
    clients.emplace_back(realserver::Server::host(), server.port());
    ids[i] = clients[i].command({"CLIENT", "ID"}).integer;
  }
  Outcome outcome;
  outcome.reply = to_display(clients[0].command(with_ids(argv, ids)));
  std::this_thread::sleep_for(50ms);  // the FINs arrive
  for (std::size_t i = 0; i < kConnections; ++i) {
    try {
      outcome.closed[i] = clients[i].command({"PING"}) != Reply::status("PONG");
    } catch (const RedisClientError&) {
      outcome.closed[i] = true;
    }
  }
  return outcome;
}

Outcome on_simulated_node(const Argv& argv) {
  World world({.latency = FixedLatency{1ms}});
  const ProcessId node = world.add_process(redis_server("redis"));
  Outcome outcome;
  bool done = false;
  world.add_process({.name = "client", .main = [&](Process& p) {
                       std::vector<Client> clients;
                       for (std::size_t i = 0; i < kConnections; ++i) clients.emplace_back(p, node);
                       std::array<std::int64_t, kConnections> ids{};
                       for (std::size_t i = 0; i < kConnections; ++i) {
                         SimResult<Reply> id = clients[i].call({"CLIENT", "ID"}, p.now() + 1s);
                         ASSERT_TRUE(id) << name_of(id.error());
                         ids[i] = id->integer;
                       }
                       SimResult<Reply> reply = clients[0].call(with_ids(argv, ids), p.now() + 1s);
                       ASSERT_TRUE(reply) << name_of(reply.error());
                       outcome.reply = to_display(*reply);
                       (void)p.sleep_for(50ms);
                       for (std::size_t i = 0; i < kConnections; ++i) {
                         SimResult<Reply> pong = clients[i].call({"PING"}, p.now() + 1s);
                         outcome.closed[i] = !pong || *pong != Reply::status("PONG");
                       }
                       done = true;
                     }});
  world.run_until(true_time(5s));
  EXPECT_TRUE(done) << "the simulated client did not finish";
  return outcome;
}

struct Case {
  Argv argv;
  std::string reply;
  std::array<bool, kConnections> closed;
};

class ClientKillDifferential : public ::testing::TestWithParam<Case> {};

TEST_P(ClientKillDifferential, SameReplyAndSameConnectionsClosed) {
  const Case& c = GetParam();
  const Outcome expected{c.reply, c.closed};
  const Outcome real = on_real_server(c.argv);
  const Outcome simulated = on_simulated_node(c.argv);
  EXPECT_EQ(simulated, real) << test_support::quoted(c.argv) << " (simulated vs real)";
  EXPECT_EQ(real, expected) << test_support::quoted(c.argv);
}

constexpr std::array<bool, 3> kNone{false, false, false};
constexpr std::array<bool, 3> kOthers{false, true, true};

INSTANTIATE_TEST_SUITE_P(
    Cases, ClientKillDifferential,
    ::testing::Values(
        Case{{"CLIENT", "KILL", "TYPE", "normal"}, "(integer) 2", kOthers},
        Case{{"client", "kill", "type", "NORMAL", "skipme", "YES"}, "(integer) 2", kOthers},
        Case{{"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"}, "(integer) 3", {true, true, true}},
        Case{{"CLIENT", "KILL", "ID", "$c1"}, "(integer) 1", {false, true, false}},
        Case{{"CLIENT", "KILL", "ID", "$c2", "TYPE", "normal"}, "(integer) 1", {false, false, true}},
        Case{{"CLIENT", "KILL", "ID", "$c0"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "ID", "$c0", "SKIPME", "no"}, "(integer) 1", {true, false, false}},
        Case{{"CLIENT", "KILL", "ID", "999999"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "TYPE", "replica"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "TYPE", "slave"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "TYPE", "master"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "TYPE", "pubsub"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "USER", "default"}, "(integer) 2", kOthers},
        Case{{"CLIENT", "KILL", "ADDR", "192.0.2.1:5"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "LADDR", "192.0.2.1:5"}, "(integer) 0", kNone},
        Case{{"CLIENT", "KILL", "192.0.2.1:5"}, "(error) ERR No such client", kNone},
        Case{{"CLIENT", "KILL", "TYPE"}, "(error) ERR No such client", kNone},
        Case{{"CLIENT", "KILL", "TYPE", "bogus"}, "(error) ERR Unknown client type 'bogus'", kNone},
        Case{{"CLIENT", "KILL", "ID", "abc"}, "(error) ERR client-id should be greater than 0", kNone},
        Case{{"CLIENT", "KILL", "ID", "0"}, "(error) ERR client-id should be greater than 0", kNone},
        Case{{"CLIENT", "KILL", "USER", "nobody"}, "(error) ERR No such user 'nobody'", kNone},
        Case{{"CLIENT", "KILL", "SKIPME", "maybe"}, "(error) ERR syntax error", kNone},
        Case{{"CLIENT", "KILL", "TYPE", "normal", "SKIPME"}, "(error) ERR syntax error", kNone},
        Case{{"CLIENT", "KILL", "FOO", "bar"}, "(error) ERR syntax error", kNone},
        Case{{"CLIENT", "KILL"}, "(error) ERR wrong number of arguments for 'client|kill' command", kNone},
        Case{{"CLIENT"}, "(error) ERR wrong number of arguments for 'client' command", kNone},
        Case{{"CLIENT", "ID", "extra"}, "(error) ERR wrong number of arguments for 'client|id' command",
             kNone},
        Case{{"CLIENT", "BOGUS"}, "(error) ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.", kNone}));

}  // namespace
}  // namespace locklab::sim::redis
