// Linux's half of close_on_death_cases.hpp, on real 127.0.0.1 TCP sockets: a
// forked child connects to this process (the peer), sends "hello", and is
// killed with SIGKILL, with or without input it never read; the peer reads
// before the kill or is "frozen" (reads nothing until after it). What the
// peer sees is what the simulated network must show for the same case
// (tests/sim/close_on_death_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "close_on_death_cases.hpp"

namespace {

using locklab::sim::testing::CloseOnDeathCase;

constexpr int kPatienceMs = 5000;  // loopback answers in microseconds; this only bounds a hang

// A file descriptor closed at the end of its scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The name the simulator gives what a socket call returned.
std::string error_name(int error) {
  if (error == ECONNRESET) return "connection_reset";
  if (error == EPIPE) return "connection_closed";
  return std::strerror(error);
}

std::string read_outcome(int fd) {
  char buffer[64];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
  if (n > 0) return "read " + std::string(buffer, static_cast<std::size_t>(n));
  if (n == 0) return "read connection_closed";
  return "read " + error_name(errno);
}

std::string write_outcome(int fd) {
  // MSG_NOSIGNAL: a write into a reset connection must not raise SIGPIPE.
  const ssize_t n = ::send(fd, "y", 1, MSG_NOSIGNAL);
  return n == 1 ? "write ok" : "write " + error_name(errno);
}

// Waits until `fd` shows `events` (POLLHUP and POLLERR always count).
bool wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, kPatienceMs) == 1;
}

// The child: connect, send "hello", wait until the peer's "x" (if any) is in
// its receive buffer without reading it, tell the parent, and wait to die.
[[noreturn]] void child_main(sockaddr_in address, bool expect_input, int ready_fd) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) _exit(1);
  if (::write(s, "hello", 5) != 5) _exit(1);
  if (expect_input) {
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, kPatienceMs) != 1) _exit(1);
  }
  if (::write(ready_fd, "r", 1) != 1) _exit(1);
  for (;;) ::pause();
}

std::string case_name(const ::testing::TestParamInfo<CloseOnDeathCase>& test) {
  return std::string(test.param.name);
}

class CloseOnDeathOnLinux : public ::testing::TestWithParam<CloseOnDeathCase> {};

TEST_P(CloseOnDeathOnLinux, PeerSeesWhatTheTableSays) {
  const CloseOnDeathCase& c = GetParam();
  const Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(listener.get(), 0) << std::strerror(errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // any free port
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
      << std::strerror(errno);
  ASSERT_EQ(::listen(listener.get(), 1), 0) << std::strerror(errno);
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0) << std::strerror(errno);
  const Fd ready_read(ready[0]);
  const Fd ready_write(ready[1]);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) child_main(address, c.unread_input, ready[1]);
  // From here on the child is killed however the test ends.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid <= 0) return;  // never kill(-1): that signals every process we may
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reaper{child};

  ASSERT_TRUE(wait_for(listener.get(), POLLIN)) << "the child never connected";
  const Fd peer(::accept(listener.get(), nullptr, nullptr));
  ASSERT_GE(peer.get(), 0) << std::strerror(errno);
  if (c.unread_input) {
    ASSERT_EQ(::send(peer.get(), "x", 1, MSG_NOSIGNAL), 1);
  }
  ASSERT_TRUE(wait_for(ready_read.get(), POLLIN)) << "the child never got ready";
  std::vector<std::string> seen;
  if (!c.peer_frozen) {
    ASSERT_TRUE(wait_for(peer.get(), POLLIN));
    seen.push_back(read_outcome(peer.get()));
  }

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  reaper.pid = 0;  // reaped: nothing left to kill
  // The FIN or reset has arrived when the peer's read side is shut.
  ASSERT_TRUE(wait_for(peer.get(), POLLRDHUP)) << "no FIN or reset after the kill";
  if (c.peer_writes) {
    seen.push_back(write_outcome(peer.get()));
    // The dead end answers the write with a reset (after a FIN): let it land.
    (void)wait_for(peer.get(), 0);
  }
  for (int i = 0; i < 3; ++i) seen.push_back(read_outcome(peer.get()));

  EXPECT_THAT(seen, ::testing::ElementsAreArray(c.seen));
}

INSTANTIATE_TEST_SUITE_P(Cases, CloseOnDeathOnLinux,
                         ::testing::ValuesIn(locklab::sim::testing::close_on_death_cases()),
                         case_name);

}  // namespace
