#include "redis_py.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace locklab::bench_real {

RedisPy::RedisPy(int port, const std::string& key) {
  int down[2];
  int up[2];
  if (::pipe2(down, O_CLOEXEC) != 0 || ::pipe2(up, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  std::string script = LOCKLAB_REDIS_PY_CHILD;
  std::string port_text = std::to_string(port);
  std::string key_text = key;
  std::string python = "/usr/bin/python3";
  std::vector<char*> argv = {python.data(), script.data(), port_text.data(), key_text.data(),
                             nullptr};
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(down[0], 0);
    ::dup2(up[1], 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(down[0]);
  ::close(up[1]);
  to_child_ = down[1];
  from_child_ = up[0];
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  const std::string first = read_line();
  if (first != "ready") throw std::runtime_error("redis-py child: " + first);
}

RedisPy::~RedisPy() {
  if (to_child_ >= 0) ::close(to_child_);
  if (from_child_ >= 0) ::close(from_child_);
  if (pid_ > 0) {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

std::int64_t RedisPy::run(int cycles) {
  const std::string request = std::to_string(cycles) + "\n";
  if (::write(to_child_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    throw std::runtime_error("redis-py child: cannot write to it");
  }
  const std::string answer = read_line();
  if (answer.empty() || answer.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error("redis-py child: " + answer);
  }
  return std::stoll(answer);
}

std::string RedisPy::read_line() {
  for (;;) {
    const auto end = pending_.find('\n');
    if (end != std::string::npos) {
      std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      return line;
    }
    char buffer[256];
    const ssize_t n = ::read(from_child_, buffer, sizeof buffer);
    if (n > 0) {
      pending_.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return "exited before answering (is /usr/bin/python3 there?)";
    }
  }
}

}  // namespace locklab::bench_real
