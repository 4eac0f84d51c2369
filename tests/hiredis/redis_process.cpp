#include "redis_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace locklab::hiredis_test {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::system_error(errno, std::generic_category(), "free_port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

// PING over a raw socket with a 250 ms budget: true on +PONG.
bool answers_ping(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{0, 250'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    static constexpr char kPing[] = "PING\r\n";
    if (::send(fd, kPing, sizeof kPing - 1, MSG_NOSIGNAL) == sizeof kPing - 1) {
      char buffer[64] = {};
      const ssize_t n = ::recv(fd, buffer, sizeof buffer - 1, 0);
      // +PONG, or -NOAUTH when a password is required: either way it is up.
      ok = n > 0 && (std::strncmp(buffer, "+PONG", 5) == 0 || std::strncmp(buffer, "-NOAUTH", 7) == 0);
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

RedisProcess::RedisProcess(RedisProcessOptions options) : options_(std::move(options)) {
  std::string pattern = (fs::temp_directory_path() / "locklab-hiredis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  dir_ = pattern;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_on(free_port())) return;
  }
  throw std::runtime_error("redis-server did not start; log:\n" + log());
}

RedisProcess::~RedisProcess() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string RedisProcess::log() const {
  std::ifstream in(dir_ / "redis.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void RedisProcess::start() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (start_on(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});  // the port is still in TIME_WAIT?
  }
  throw std::runtime_error("redis-server did not restart on its port; log:\n" + log());
}

bool RedisProcess::start_on(int port) {
  port_ = port;
  std::vector<std::string> args = {"redis-server", "--port", std::to_string(port), "--bind",
                                   "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--daemonize", "no", "--dir", dir_.string()};
  if (options_.unix_socket) {
    args.insert(args.end(), {"--unixsocket", unix_path(), "--unixsocketperm", "700"});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = (dir_ / "redis.log").string();
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  pid_ = pid;
  const auto deadline = Clock::now() + std::chrono::seconds{5};
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // port taken, most likely
    }
    if (answers_ping(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  stop();
  return false;
}

void RedisProcess::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds{3};
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace locklab::hiredis_test
