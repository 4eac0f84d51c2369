#include "ppoll_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "locklab/lock/scripts.hpp"

namespace locklab::bench_real {
namespace {

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("ppoll loop: cannot connect");
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// RESP for a few arguments, appended to `out`.
void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  char header[32];
  out.append(header, static_cast<std::size_t>(std::snprintf(header, sizeof header, "*%zu\r\n", args.size())));
  for (std::string_view a : args) {
    out.append(header, static_cast<std::size_t>(std::snprintf(header, sizeof header, "$%zu\r\n", a.size())));
    out.append(a);
    out.append("\r\n");
  }
}

bool is_ok(std::string_view line) { return line == "+OK"; }
bool is_one(std::string_view line) { return line == ":1"; }
bool is_bulk_string(std::string_view line) { return line.size() > 1 && line[0] == '$' && line != "$-1"; }

}  // namespace

PpollLoop::PpollLoop(const std::vector<int>& ports) {
  for (int port : ports) connections_.push_back({.fd = connect_to(port)});
  std::string load;
  append_command(load, {"SCRIPT", "LOAD", lock::scripts::release.text});
  // SCRIPT LOAD answers a bulk string (the digest), two lines: count the
  // header line as the answer and skip the digest line by hand below.
  round(load, static_cast<int>(connections_.size()), is_bulk_string);
  for (Connection& c : connections_) {
    const auto end = c.in.find("\r\n");
    if (end == std::string::npos) throw std::runtime_error("ppoll loop: SCRIPT LOAD reply cut short");
    c.in.erase(0, end + 2);
  }
}

PpollLoop::~PpollLoop() {
  for (Connection& c : connections_) ::close(c.fd);
}

bool PpollLoop::acquire(std::string_view key, std::string_view token, bool return_early) {
  request_.clear();
  append_command(request_, {"SET", key, token, "NX", "PX", "10000"});
  const int quorum = static_cast<int>(connections_.size()) / 2 + 1;
  const int enough = return_early ? quorum : static_cast<int>(connections_.size());
  return round(request_, enough, is_ok) >= quorum;
}

bool PpollLoop::release(std::string_view key, std::string_view token) {
  request_.clear();
  append_command(request_, {"EVALSHA", lock::scripts::release.sha1, "1", key, token});
  const int quorum = static_cast<int>(connections_.size()) / 2 + 1;
  return round(request_, static_cast<int>(connections_.size()), is_one) >= quorum;
}

int PpollLoop::round(std::string_view request, int enough, bool (*positive)(std::string_view)) {
  pollfd polls[16];
  const std::size_t n = connections_.size();
  if (n > std::size(polls)) std::abort();
  for (std::size_t i = 0; i < n; ++i) {
    Connection& c = connections_[i];
    // A loopback socket's send buffer takes a short command whole.
    if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      std::abort();
    }
    ++c.owed;
    c.answer = 0;
    c.positive = false;
    polls[i] = {c.fd, POLLIN, 0};
  }
  int answered = 0;
  int yes = 0;
  while (yes < enough && answered < static_cast<int>(n)) {
    if (::ppoll(polls, n, nullptr, nullptr) < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (polls[i].revents == 0) continue;
      Connection& c = connections_[i];
      const bool had = c.answer != 0;
      read_replies(c, positive);
      if (!had && c.answer != 0) {
        ++answered;
        if (c.positive) ++yes;
        polls[i].events = 0;  // this one is settled; wait on the others
      }
    }
  }
  return yes;
}

void PpollLoop::read_replies(Connection& c, bool (*positive)(std::string_view)) {
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (got > 0) {
      c.in.append(buffer, static_cast<std::size_t>(got));
      if (static_cast<std::size_t>(got) < sizeof buffer) break;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    std::abort();  // the server went away: not something a benchmark recovers from
  }
  std::size_t at = 0;
  while (c.owed > 0 && c.answer == 0) {
    const auto end = c.in.find("\r\n", at);
    if (end == std::string::npos) break;
    const std::string_view line(c.in.data() + at, end - at);
    at = end + 2;
    // Every reply owed before the current command's is stale: skip it.
    if (--c.owed == 0) {
      c.answer = line.empty() ? '?' : line[0];
      c.positive = positive(line);
    }
  }
  c.in.erase(0, at);
}

}  // namespace locklab::bench_real
