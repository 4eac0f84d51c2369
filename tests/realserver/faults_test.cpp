// The faults a Server applies, each checked from outside: a frozen server
// accepts connections but answers nothing until resumed; a killed one is
// gone (reaped, its port refused); its children die with their parent
// (PDEATHSIG) and with the Server object, even when a test throws; CLIENT
// KILL drops exactly the clients named.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "locklab/realserver/server.hpp"

namespace locklab::realserver {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// True once `pid` no longer runs: gone, or a zombie nobody has reaped yet
// (an orphan's new parent may be slow to reap, or, in a container whose
// init does not reap, never).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (!(stat >> pid_field >> comm >> state)) return true;
  return state == "Z" || state == "X";
}

bool refuses_connections(int port) {
  try {
    AdminConnection c(Server::host(), port, 500ms);
    return false;
  } catch (const AdminError& e) {
    return e.kind() == AdminError::Kind::connect;
  }
}

template <typename Predicate>
bool within(std::chrono::milliseconds limit, Predicate done) {
  const auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(RealServerFaults, FreezeMakesPingTimeOutAndResumeAnswersIt) {
  Server server;
  AdminConnection before(Server::host(), server.port());
  ASSERT_EQ(before.command({"PING"}).text, "PONG");
  server.freeze();
  EXPECT_TRUE(server.frozen());
  // The kernel still completes the handshake; the command waits.
  AdminConnection during(Server::host(), server.port());
  const auto started = Clock::now();
  try {
    (void)during.command({"PING"}, 200ms);
    ADD_FAILURE() << "a frozen server answered";
  } catch (const AdminError& e) {
    EXPECT_EQ(e.kind(), AdminError::Kind::timeout) << e.what();
  }
  EXPECT_GE(Clock::now() - started, 200ms);
  EXPECT_FALSE(during.open()) << "a timed-out connection must not be reused";
  server.resume();
  EXPECT_FALSE(server.frozen());
  EXPECT_EQ(before.command({"PING"}).text, "PONG") << "an idle connection survives the freeze";
  EXPECT_EQ(server.admin({"PING"}).text, "PONG");
}

// Commands sent to a frozen server run after the resume, in order.
TEST(RealServerFaults, CommandSentWhileFrozenRunsAfterResume) {
  Server server;
  AdminConnection writer(Server::host(), server.port());
  server.freeze();
  EXPECT_THROW((void)writer.command({"SET", "k", "late"}, 100ms), AdminError);
  server.resume();
  EXPECT_TRUE(within(2s, [&] { return server.admin({"GET", "k"}).text == "late"; }))
      << "the SET sent while frozen was lost";
}

TEST(RealServerFaults, KillReapsTheProcessAndItsPortRefuses) {
  Server server;
  const pid_t pid = server.pid();
  const int port = server.port();
  server.kill();
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.pid(), -1);
  EXPECT_TRUE(process_gone(pid));
  EXPECT_EQ(::kill(pid, 0), -1) << "killed but not reaped";
  EXPECT_TRUE(refuses_connections(port));
  EXPECT_THROW(server.freeze(), Error);
  try {
    (void)server.admin({"PING"}, 500ms);
    ADD_FAILURE() << "a killed server answered";
  } catch (const AdminError& e) {
    EXPECT_EQ(e.kind(), AdminError::Kind::connect);
    EXPECT_NE(std::string(e.what()).find("log tail"), std::string::npos) << e.what();
  }
}

TEST(RealServerFaults, KillingAFrozenServerWorks) {
  Server server;
  const pid_t pid = server.pid();
  server.freeze();
  server.kill();
  EXPECT_FALSE(server.frozen());
  EXPECT_EQ(::kill(pid, 0), -1);
}

// The destructor ends the process (frozen or not) and removes the directory
// when a test throws.
TEST(RealServerFaults, DestructorStopsAFrozenServerWhenTheTestThrows) {
  pid_t pid = -1;
  int port = 0;
  std::filesystem::path dir;
  try {
    Server server;
    pid = server.pid();
    port = server.port();
    dir = server.dir();
    server.freeze();
    throw std::runtime_error("a failing test");
  } catch (const std::runtime_error&) {
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::kill(pid, 0), -1) << "still running, or not reaped";
  EXPECT_TRUE(refuses_connections(port));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// A forked child starts a server and is then SIGKILLed (no destructor
// runs): PR_SET_PDEATHSIG kills the orphaned redis-server.
TEST(RealServerFaults, ServerDiesWithTheProcessThatStartedIt) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    int report[2] = {-1, -1};
    try {
      Server server;
      report[0] = server.pid();
      report[1] = server.port();
      (void)!::write(pipe_fds[1], report, sizeof report);
      const std::string dir = server.dir().string();
      (void)!::write(pipe_fds[1], dir.c_str(), dir.size());
      ::close(pipe_fds[1]);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(3);
    }
  }
  ::close(pipe_fds[1]);
  int report[2] = {-1, -1};
  const bool got = ::read(pipe_fds[0], report, sizeof report) == sizeof report;
  char dir[4096] = {};
  (void)!::read(pipe_fds[0], dir, sizeof dir - 1);
  ::close(pipe_fds[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(got) << "the child did not start its server";
  const pid_t server_pid = report[0];
  const int port = report[1];
  EXPECT_TRUE(within(3s, [&] { return process_gone(server_pid); }))
      << "redis-server " << server_pid << " outlived its parent";
  EXPECT_TRUE(within(3s, [&] { return refuses_connections(port); }));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // the killed child could not
}

// A test that forks and lets the child unwind normally: the child's copy of
// the Server neither stops the server nor deletes its directory.
TEST(RealServerFaults, AForkedCopyLeavesTheServerAlone) {
  auto server = std::make_unique<Server>();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    server.reset();  // the copy's destructor
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(server->running());
  EXPECT_EQ(server->admin({"PING"}).text, "PONG");
  EXPECT_TRUE(std::filesystem::exists(server->dir()));
}

TEST(RealServerFaults, ClientKillByAddressDropsThatClientOnly) {
  Server server;
  AdminConnection victim(Server::host(), server.port());
  AdminConnection bystander(Server::host(), server.port());
  ASSERT_EQ(victim.command({"PING"}).text, "PONG");
  ASSERT_EQ(bystander.command({"PING"}).text, "PONG");
  ASSERT_FALSE(victim.local_address().empty());
  EXPECT_EQ(server.client_kill({"ADDR", victim.local_address()}), 1);
  try {
    (void)victim.command({"PING"}, 1000ms);
    ADD_FAILURE() << "a killed client still talks";
  } catch (const AdminError& e) {
    EXPECT_EQ(e.kind(), AdminError::Kind::closed) << e.what();
  }
  EXPECT_EQ(bystander.command({"PING"}).text, "PONG");
}

TEST(RealServerFaults, ClientKillTypeNormalDropsEveryClient) {
  Server server;
  AdminConnection a(Server::host(), server.port());
  AdminConnection b(Server::host(), server.port());
  ASSERT_EQ(a.command({"PING"}).text, "PONG");
  ASSERT_EQ(b.command({"PING"}).text, "PONG");
  EXPECT_EQ(server.client_kill({"TYPE", "normal"}), 2);
  EXPECT_THROW((void)a.command({"PING"}, 1000ms), AdminError);
  EXPECT_THROW((void)b.command({"PING"}, 1000ms), AdminError);
}

// The admin connection writes with MSG_NOSIGNAL: a dead server never raises
// SIGPIPE, and the disposition is never touched.
TEST(RealServerFaults, WritingToAKilledServerRaisesNoSigpipe) {
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  ASSERT_EQ(current.sa_handler, SIG_DFL) << "the test needs the default SIGPIPE disposition";
  Server server;
  AdminConnection c(Server::host(), server.port());
  ASSERT_EQ(c.command({"PING"}).text, "PONG");
  server.kill();
  const std::string big(1 << 20, 'x');
  EXPECT_THROW((void)c.command({"SET", "k", big}, 1000ms), AdminError);
  AdminConnection::Timeout t{500};
  EXPECT_THROW((void)c.command({"PING"}, t), AdminError);
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_DFL);
}

}  // namespace
}  // namespace locklab::realserver
