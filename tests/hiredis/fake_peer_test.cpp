// hiredis::Backend against peers no real redis-server plays: a server that
// resets the connection while a large request is still being written (the
// send fails on a reset socket, and the process, with SIGPIPE at its default
// disposition, lives), a server that answers with bytes that are not RESP
// (a typed protocol failure, maybe applied, and the connection not reused),
// and a process that cannot start another thread (spawn() returns false and
// the backend stays usable).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace locklab::hiredis_test {
namespace {

using hiredis::Backend;
using lock::NodeErrorKind;
using lock::Reply;

// What the backend sends first on a new connection (its run_id question).
const std::string kInfoServer = "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";

// A one-thread TCP peer on 127.0.0.1 and a free port. Each accepted
// connection gets the next behaviour of `script`: after answering the
// backend's INFO server with a run_id, the behaviour gets the socket.
// Connections beyond the script are closed at once.
class FakePeer {
 public:
  using Behaviour = std::function<void(int fd)>;

  explicit FakePeer(std::vector<Behaviour> script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener_ < 0) throw std::runtime_error("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 8) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("bind/listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakePeer() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(listener_);
  }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

  // Reads until `bytes` have arrived or the peer closes; what arrived.
  static std::string read_bytes(int fd, std::size_t bytes) {
    std::string in;
    char buffer[65536];
    while (in.size() < bytes) {
      const ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, bytes - in.size()), 0);
      if (n <= 0) break;
      in.append(buffer, static_cast<std::size_t>(n));
    }
    return in;
  }
  static void send_all(int fd, const std::string& out) {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  void serve() {
    for (std::size_t k = 0;; ++k) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      if (k < script_.size() && read_bytes(fd, kInfoServer.size()) == kInfoServer) {
        std::string info = "# Server\r\nrun_id:fake";
        info += std::to_string(port_);
        info += "\r\n";
        std::string reply = "$";
        reply += std::to_string(info.size());
        reply += "\r\n";
        reply += info;
        reply += "\r\n";
        send_all(fd, reply);
        script_[k](fd);
      }
      ::close(fd);
    }
  }

  std::vector<Behaviour> script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Takes a little of the request, then closes with unread bytes in its
// receive buffer and SO_LINGER 0: the kernel answers with a reset.
void reset_mid_request(int fd) {
  (void)FakePeer::read_bytes(fd, 4096);
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
}

TEST(HiredisFakePeer, SendOntoAResetSocketRaisesNoSigpipe) {
  struct sigaction current{};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  ASSERT_EQ(current.sa_handler, SIG_DFL) << "the test needs the default SIGPIPE disposition";
  FakePeer peer({reset_mid_request});
  Backend backend({{.host = "127.0.0.1", .port = peer.port()}});
  // 64 MiB: far more than the socket buffers hold, so the backend is still
  // writing when the reset arrives, and its next send meets it.
  const std::string value(64u << 20, 'x');
  auto r = backend.call(0, {"SET", "k", value}, in(10s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NodeErrorKind::connection_lost) << show(r);
  EXPECT_TRUE(r.error().maybe_applied) << "part of the request was written: " << show(r);
  EXPECT_NE(r.error().detail.find("send"), std::string::npos)
      << "the failure should be the send's: " << show(r);
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_DFL) << "the backend changed the SIGPIPE disposition";
  EXPECT_EQ(backend.stats().connections_dropped, 1u);
}

TEST(HiredisFakePeer, BytesThatAreNotRespAreATypedProtocolFailure) {
  FakePeer peer({
      [](int fd) {
        (void)FakePeer::read_bytes(fd, 1);  // the request has started to arrive
        FakePeer::send_all(fd, "!not a reply\r\n");
        (void)FakePeer::read_bytes(fd, 1 << 20);  // until the backend closes
      },
      [](int fd) {
        (void)FakePeer::read_bytes(fd, 1);
        FakePeer::send_all(fd, "+PONG\r\n");
        (void)FakePeer::read_bytes(fd, 1 << 20);
      },
  });
  Backend backend({{.host = "127.0.0.1", .port = peer.port()}});
  auto bad = backend.call(0, {"PING"}, in(5s));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, NodeErrorKind::protocol) << show(bad);
  EXPECT_TRUE(bad.error().maybe_applied) << show(bad);
  EXPECT_NE(bad.error().detail.find("Protocol error"), std::string::npos)
      << "hiredis's reader should say what it found: " << show(bad);
  // The connection that carried garbage is closed, never reused: the next
  // request opens a new one, which the peer answers properly.
  auto good = backend.call(0, {"PING"}, in(5s));
  ASSERT_TRUE(good) << show(good);
  EXPECT_EQ(*good, Reply::status("PONG"));
  EXPECT_EQ(backend.stats().connections_opened, 2u);
  EXPECT_EQ(peer.accepted(), 2);
}

// The process's virtual memory right now, from /proc/self/status (VmSize, kB).
rlim_t address_space_in_use() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmSize:") {
      rlim_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
    status.ignore(1 << 16, '\n');
  }
  return 0;
}

// In a child process (the address-space limit must not reach the test
// runner), with the limit just above what is in use: spawn() tasks that wait
// until spawn() returns false — the first few may run on thread stacks glibc
// kept from threads that ended before the fork, then no new stack can be
// mapped. The failed spawn's task never runs; with the limit lifted, spawn()
// works again. Exit codes name the check that failed.
TEST(HiredisFakePeer, SpawnThatCannotStartAThreadReturnsFalse) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    constexpr std::size_t kMost = 1000;
    Backend backend({{.host = "127.0.0.1", .port = 1}}, {.max_tasks = kMost + 1});
    std::vector<std::atomic<bool>> ran(kMost + 1);
    std::atomic<bool> release{false};
    rlimit original{};
    if (::getrlimit(RLIMIT_AS, &original) != 0) ::_exit(10);
    const rlim_t in_use = address_space_in_use();
    if (in_use == 0) ::_exit(11);
    rlimit tight = original;
    tight.rlim_cur = in_use + (1u << 20);  // 1 MiB to spare: no 8 MiB stack fits
    if (::setrlimit(RLIMIT_AS, &tight) != 0) ::_exit(12);
    std::size_t started = 0;
    bool refused = false;
    while (started < kMost && !refused) {
      std::atomic<bool>& mine = ran[started];
      refused = !backend.spawn("starved", [&mine, &release] {
        mine = true;
        while (!release.load()) std::this_thread::sleep_for(1ms);
      });
      if (!refused) ++started;
    }
    if (::setrlimit(RLIMIT_AS, &original) != 0) ::_exit(13);
    if (!refused) ::_exit(20);
    if (backend.stats().tasks_spawned != started) ::_exit(22);
    release = true;
    if (!backend.spawn("fed", [&ran] { ran[kMost] = true; })) ::_exit(23);
    backend.shutdown();  // joins them all
    if (ran[started].load()) ::_exit(21);  // the refused spawn's task
    for (std::size_t i = 0; i < started; ++i) {
      if (!ran[i].load()) ::_exit(25);
    }
    ::_exit(ran[kMost].load() ? 0 : 24);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died: signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "20: spawn never returned false; 21: the refused task ran; 22: miscounted; "
         "23: spawn failed with the limit lifted; 24: that task never ran; "
         "25: a started task never ran; 1x: setup";
}

}  // namespace
}  // namespace locklab::hiredis_test
