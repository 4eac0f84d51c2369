#include "locklab/realserver/admin.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace locklab::realserver {
namespace {

using Clock = std::chrono::steady_clock;

AdminReply convert(const redisReply& r) {
  AdminReply out;
  switch (r.type) {
    case REDIS_REPLY_STATUS: out.type = AdminReply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = AdminReply::Type::error; break;
    case REDIS_REPLY_STRING: out.type = AdminReply::Type::bulk; break;
    case REDIS_REPLY_INTEGER:
      out.type = AdminReply::Type::integer;
      out.integer = r.integer;
      return out;
    case REDIS_REPLY_ARRAY:
      out.type = AdminReply::Type::array;
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      return out;
    default: return out;  // nil
  }
  out.text.assign(r.str, r.len);
  return out;
}

// Milliseconds left until `until`, at least 0, for poll().
int ms_left(Clock::time_point until) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

}  // namespace

// Built by appending: GCC 12 reports a false -Wrestrict for
// `"-" + std::string` at -O3.
std::string to_string(const AdminReply& reply) {
  std::string s;
  switch (reply.type) {
    case AdminReply::Type::status: s.append("+").append(reply.text); break;
    case AdminReply::Type::error: s.append("-").append(reply.text); break;
    case AdminReply::Type::integer: s.append(":").append(std::to_string(reply.integer)); break;
    case AdminReply::Type::bulk: s.append("\"").append(reply.text).append("\""); break;
    case AdminReply::Type::nil: s.append("(nil)"); break;
    case AdminReply::Type::array:
      s.append("[");
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        if (i != 0) s.append(", ");
        s.append(to_string(reply.elements[i]));
      }
      s.append("]");
      break;
  }
  return s;
}

std::string info_field(const std::string& info, const std::string& field) {
  const std::string needle = field + ":";
  std::size_t at = 0;
  while ((at = info.find(needle, at)) != std::string::npos) {
    if (at == 0 || info[at - 1] == '\n') {
      const std::size_t begin = at + needle.size();
      const std::size_t end = info.find_first_of("\r\n", begin);
      return info.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    }
    at += needle.size();
  }
  return {};
}

AdminConnection::AdminConnection(const std::string& host, int port, Timeout connect_timeout)
    : peer_(host + ":" + std::to_string(port)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    fail(AdminError::Kind::connect, "not an IPv4 address: " + host);
  }
  connect_to(&addr, sizeof addr, connect_timeout);
  sockaddr_in local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
    local_address_ = std::string(text) + ":" + std::to_string(ntohs(local.sin_port));
  }
}

AdminConnection::AdminConnection(const std::string& unix_path, Timeout connect_timeout)
    : peer_("unix:" + unix_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (unix_path.size() >= sizeof addr.sun_path) {
    fail(AdminError::Kind::connect, "unix socket path too long");
  }
  std::memcpy(addr.sun_path, unix_path.c_str(), unix_path.size() + 1);
  connect_to(&addr, sizeof addr, connect_timeout);
}

AdminConnection::~AdminConnection() { close_now(); }

void AdminConnection::close_now() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = nullptr;
}

void AdminConnection::fail(AdminError::Kind kind, const std::string& what) {
  close_now();
  throw AdminError(kind, "admin connection to " + peer_ + ": " + what);
}

void AdminConnection::connect_to(const void* address, unsigned length, Timeout timeout) {
  const auto* sa = static_cast<const sockaddr*>(address);
  fd_ = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail(AdminError::Kind::connect, std::string("socket: ") + std::strerror(errno));
  reader_ = redisReaderCreate();
  if (reader_ == nullptr) {
    close_now();  // a throwing constructor runs no destructor
    throw std::bad_alloc();
  }
  if (sa->sa_family == AF_INET) {
    const int one = 1;
    (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  int rc = 0;
  do {
    rc = ::connect(fd_, sa, length);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return;
  if (errno != EINPROGRESS) fail(AdminError::Kind::connect, std::strerror(errno));
  pollfd p{fd_, POLLOUT, 0};
  const auto until = Clock::now() + timeout;
  for (;;) {
    const int n = ::poll(&p, 1, ms_left(until));
    if (n > 0) break;
    if (n == 0) fail(AdminError::Kind::connect, "connect timed out");
    if (errno != EINTR) fail(AdminError::Kind::connect, std::strerror(errno));
  }
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) fail(AdminError::Kind::connect, std::strerror(error));
}

AdminReply AdminConnection::command(const std::vector<std::string>& argv, Timeout timeout) {
  if (fd_ < 0) throw AdminError(AdminError::Kind::closed, "admin connection to " + peer_ + ": closed");
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* formatted = nullptr;
  const long long size = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()),
                                                args.data(), lengths.data());
  if (size < 0) throw std::bad_alloc();
  std::string out(formatted, static_cast<std::size_t>(size));
  redisFreeCommand(formatted);
  const std::string name = argv.empty() ? std::string("(empty)") : argv[0];

  const auto until = Clock::now() + timeout;
  std::size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, ms_left(until)) == 0) fail(AdminError::Kind::timeout, name + ": send timed out");
      continue;
    }
    fail(AdminError::Kind::closed, name + ": send: " + std::strerror(errno));
  }
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      fail(AdminError::Kind::protocol, name + ": " + reader_->errstr);
    }
    if (raw != nullptr) {
      AdminReply reply = convert(*static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      return reply;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, ms_left(until));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      fail(AdminError::Kind::timeout,
           name + ": no reply within " + std::to_string(timeout.count()) + " ms");
    }
    char buffer[16384];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) fail(AdminError::Kind::closed, name + ": the server closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      fail(AdminError::Kind::closed, name + ": recv: " + std::strerror(errno));
    }
    if (redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n)) != REDIS_OK) {
      throw std::bad_alloc();
    }
  }
}

AdminReply AdminConnection::command_ok(const std::vector<std::string>& argv, Timeout timeout) {
  AdminReply reply = command(argv, timeout);
  if (reply.is_error()) {
    throw AdminError(AdminError::Kind::reply, "admin command " + (argv.empty() ? "" : argv[0]) +
                                                  " to " + peer_ + " failed: " + reply.text);
  }
  return reply;
}

}  // namespace locklab::realserver
