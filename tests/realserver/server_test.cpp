// Server's life cycle: start with the requested settings, restart on the same
// port (what survives depends on the persistence), and the errors a caller
// sees when a server cannot start.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "locklab/realserver/server.hpp"

namespace locklab::realserver {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string config_value(const Server& server, const std::string& name) {
  const AdminReply r = server.admin_ok({"CONFIG", "GET", name});
  if (r.type != AdminReply::Type::array || r.elements.size() != 2) return "<" + to_string(r) + ">";
  return r.elements[1].text;
}

TEST(RealServer, StartsOnItsPortAndUnixSocketWithTheGivenSettings) {
  Server server({.persistence = {.appendonly = true, .appendfsync = "always", .save = {"900 1"}},
                 .unix_socket = true,
                 .extra_args = {"--maxmemory", "64mb"}});
  ASSERT_TRUE(server.running());
  EXPECT_GT(server.pid(), 0);
  EXPECT_EQ(server.admin({"PING"}).text, "PONG");
  AdminConnection over_unix(server.unix_path());
  EXPECT_EQ(over_unix.command({"PING"}).text, "PONG");
  EXPECT_TRUE(over_unix.local_address().empty());
  EXPECT_EQ(config_value(server, "appendonly"), "yes");
  EXPECT_EQ(config_value(server, "appendfsync"), "always");
  EXPECT_EQ(config_value(server, "save"), "900 1");
  EXPECT_EQ(config_value(server, "maxmemory"), std::to_string(64 * 1024 * 1024));
  EXPECT_EQ(config_value(server, "dir"), std::filesystem::canonical(server.dir()).string());
}

TEST(RealServer, DefaultsKeepNothingOnDisk) {
  Server server;
  EXPECT_EQ(config_value(server, "appendonly"), "no");
  EXPECT_EQ(config_value(server, "save"), "");
  EXPECT_TRUE(server.unix_path().empty());
}

TEST(RealServer, TwoServersGetTwoPortsAndTwoDirectories) {
  Server a, b;
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.dir(), b.dir());
  EXPECT_NE(info_field(a.info("server"), "run_id"), info_field(b.info("server"), "run_id"));
}

// appendfsync always: the write is on disk before its reply, so it survives
// a SIGKILL and is replayed on the same port.
TEST(RealServer, RestartOnTheSamePortKeepsDataWithAofAlways) {
  Server server({.persistence = Persistence::aof_always()});
  const int port = server.port();
  ASSERT_TRUE(server.admin({"SET", "k", "v"}).is_ok());
  const pid_t before = server.pid();
  server.kill();
  EXPECT_FALSE(server.running());
  server.start();
  EXPECT_EQ(server.port(), port);
  EXPECT_NE(server.pid(), before);
  const AdminReply got = server.admin({"GET", "k"});
  EXPECT_EQ(got.type, AdminReply::Type::bulk) << to_string(got);
  EXPECT_EQ(got.text, "v");
}

TEST(RealServer, RestartWithoutPersistenceLosesData) {
  Server server;
  ASSERT_TRUE(server.admin({"SET", "k", "v"}).is_ok());
  server.restart();
  EXPECT_EQ(server.admin({"GET", "k"}).type, AdminReply::Type::nil);
}

TEST(RealServer, RestartAfterADelayIsDownForTheDelay) {
  Server server;
  const auto started = Clock::now();
  server.restart(300ms);
  EXPECT_GE(Clock::now() - started, 300ms);
  EXPECT_EQ(server.admin({"PING"}).text, "PONG");
}

TEST(RealServer, StartWhileRunningIsAnError) {
  Server server;
  EXPECT_THROW(server.start(), Error);
  EXPECT_TRUE(server.running());
}

// A port held by someone else: start() keeps trying the server's own port
// until start_timeout, then says so; once freed, start() succeeds on it.
TEST(RealServer, StartOnAPortInUseFailsThenSucceedsOnceFreed) {
  Server server({.start_timeout = 1000ms});
  const int port = server.port();
  server.kill();
  const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(squatter, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const int one = 1;
  ::setsockopt(squatter, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(::bind(squatter, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(squatter, 1), 0);
  try {
    server.start();
    ADD_FAILURE() << "started on a port in use";
  } catch (const StartError& e) {
    EXPECT_NE(std::string(e.what()).find("port stayed in use"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Address already in use"), std::string::npos)
        << "the log tail is missing: " << e.what();
  }
  ::close(squatter);
  server.start();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.admin({"PING"}).text, "PONG");
}

TEST(RealServer, MissingExecutableIsAStartErrorNamingIt) {
  try {
    Server server({.executable = "/nonexistent/locklab/redis-server"});
    ADD_FAILURE() << "started a server that does not exist";
  } catch (const StartError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/locklab/redis-server"), std::string::npos)
        << e.what();
  }
}

TEST(RealServer, BadArgumentIsAStartErrorWithTheServerLog) {
  try {
    Server server({.extra_args = {"--no-such-directive", "1"}});
    ADD_FAILURE() << "started with a bad directive";
  } catch (const StartError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exited during start-up"), std::string::npos) << what;
    EXPECT_NE(what.find("no-such-directive"), std::string::npos) << "no log tail: " << what;
  }
}

TEST(RealServer, ErrorReplyThrowsFromAdminOkAndIsAValueFromAdmin) {
  Server server;
  const AdminReply r = server.admin({"NO-SUCH-COMMAND"});
  EXPECT_TRUE(r.is_error()) << to_string(r);
  try {
    (void)server.admin_ok({"NO-SUCH-COMMAND"});
    ADD_FAILURE() << "no exception";
  } catch (const AdminError& e) {
    EXPECT_EQ(e.kind(), AdminError::Kind::reply);
    EXPECT_NE(std::string(e.what()).find(server.address()), std::string::npos) << e.what();
  }
}

TEST(RealServer, InfoFieldReadsOneLine) {
  const std::string info = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:7\r\n";
  EXPECT_EQ(info_field(info, "role"), "master");
  EXPECT_EQ(info_field(info, "connected_slaves"), "0");
  EXPECT_EQ(info_field(info, "repl_offset"), "") << "matched inside another field's name";
  EXPECT_EQ(info_field(info, "absent"), "");
}

}  // namespace
}  // namespace locklab::realserver
