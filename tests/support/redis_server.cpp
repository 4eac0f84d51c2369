// tests/support/redis_server.cpp — see redis_server.hpp.
#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
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
#include <memory>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace locklab::test_support {
namespace {

namespace fs = std::filesystem;
using sim::redis::Argv;
using sim::redis::Reply;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kLogTail = 4000;  // characters of the server log put in messages

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's
// pick for port 0). Someone may take it before redis-server binds it; the
// caller retries then.
int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket(): " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1: " + errno_text(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "locklab-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp(" + pattern + "): " + errno_text(errno));
  }
  return pattern;
}

std::string tail(const std::string& text) {
  if (text.size() <= kLogTail) return text;
  return "[...]\n" + text.substr(text.size() - kLogTail);
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return fmt::format("stopped (wait status {})", status);
}

Reply convert(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      return Reply::status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return Reply::error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return Reply::integer_reply(static_cast<std::int64_t>(r.integer));
    case REDIS_REPLY_STRING:
      return Reply::bulk(std::string(r.str, r.len));
    case REDIS_REPLY_NIL:
      return Reply::nil();
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> items;
      items.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) items.push_back(convert(*r.element[i]));
      return Reply::array(std::move(items));
    }
    default:
      throw RedisClientError(fmt::format("hiredis returned a reply of unknown type {}", r.type));
  }
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

}  // namespace

std::string quoted(const Argv& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += '"' + arg + '"';
  }
  return out;
}

// ---------------------------------------------------------------- RedisServer

std::optional<fs::path> RedisServer::find_executable() {
  auto usable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest = path;
    while (true) {
      const auto colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      const fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / "redis-server";
      if (usable(candidate)) return candidate;
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (const fs::path fallback = "/usr/bin/redis-server"; usable(fallback)) return fallback;
  return std::nullopt;
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  const auto executable = find_executable();
  if (!executable) {
    throw std::runtime_error(
        "redis-server not found (looked on PATH and at /usr/bin/redis-server). This test needs a "
        "real redis-server 7.0: install it (Debian: apt-get install redis-server). It fails "
        "rather than skips, because CI always has it.");
  }
  executable_ = *executable;
  dir_ = make_temp_dir();
  try {
    for (int attempt = 0; attempt < options_.port_attempts; ++attempt) {
      if (start_on(pick_free_port())) return;
    }
    throw std::runtime_error(fmt::format(
        "redis-server ({}) found its port taken {} times in a row on 127.0.0.1; last log:\n{}",
        executable_.string(), options_.port_attempts, tail(log())));
  } catch (...) {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string RedisServer::log() const {
  std::ifstream in(dir_ / "redis.log", std::ios::binary);
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return text;
}

bool RedisServer::start_on(int port) {
  port_ = port;
  std::vector<std::string> args = {
      executable_.string(), "--port", std::to_string(port), "--bind", host_,   "--save",     "",
      "--appendonly",       "no",     "--daemonize",        "no",     "--dir", dir_.string()};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> child_argv;
  for (auto& arg : args) child_argv.push_back(arg.data());
  child_argv.push_back(nullptr);

  const std::string log_path = (dir_ / "redis.log").string();
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("open(" + log_path + "): " + errno_text(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::signal(SIGPIPE, SIG_DFL);               // (RedisClient ignores it in the parent)
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);  // no inherited sockets or files
    ::execv(child_argv[0], child_argv.data());
    static constexpr char kMessage[] = "locklab RedisServer: execv(redis-server) failed\n";
    [[maybe_unused]] const auto ignored = ::write(2, kMessage, sizeof kMessage - 1);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) throw std::runtime_error("fork(): " + errno_text(fork_errno));
  pid_ = pid;

  const auto deadline = Clock::now() + options_.startup_timeout;
  std::string last_error = "no attempt yet";
  while (true) {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) {
      pid_ = -1;
      const std::string text = log();
      if (text.find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error(
          fmt::format("redis-server ({} on 127.0.0.1:{}) {} before answering PING; its log:\n{}",
                      executable_.string(), port, describe_status(status), tail(text)));
    }
    try {
      RedisClient probe(host_, port, std::chrono::milliseconds{250});
      const Reply pong = probe.command({"PING"});
      if (pong == Reply::status("PONG")) {
        // Make sure it is our child answering, not someone else's server
        // that took the port.
        const Reply info = probe.command({"INFO", "server"});
        if (info.str.find(fmt::format("process_id:{}\r\n", pid_)) != std::string::npos) return true;
        last_error = "another process answered on the port";
      } else {
        last_error = "PING answered " + sim::redis::to_display(pong);
      }
    } catch (const RedisClientError& e) {
      last_error = e.what();
    }
    if (Clock::now() >= deadline) {
      const std::string text = log();
      stop();
      throw std::runtime_error(fmt::format(
          "redis-server ({} on 127.0.0.1:{}) did not answer PING within {} ms (last attempt: {}); "
          "its log:\n{}",
          executable_.string(), port, options_.startup_timeout.count(), last_error, tail(text)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

bool RedisServer::wait_for_exit(std::chrono::milliseconds timeout) noexcept {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_ || (reaped < 0 && errno == ECHILD)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

void RedisServer::stop() noexcept {
  if (pid_ <= 0) return;
  try {
    RedisClient client(host_, port_, std::chrono::milliseconds{1000});
    client.command({"SHUTDOWN", "NOSAVE"});  // normally: no reply, the connection closes
  } catch (...) {
    // Not answering, or (the usual case) the connection closed: wait below.
  }
  if (!wait_for_exit(options_.shutdown_timeout)) {
    ::kill(pid_, SIGTERM);
    if (!wait_for_exit(options_.shutdown_timeout)) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  pid_ = -1;
}

// ---------------------------------------------------------------- RedisClient

RedisClient::RedisClient(const std::string& host, int port, std::chrono::milliseconds timeout)
    : endpoint_(fmt::format("{}:{}", host, port)), timeout_(timeout) {
  ::signal(SIGPIPE, SIG_IGN);
  const timeval tv = to_timeval(timeout);
  context_ = redisConnectWithTimeout(host.c_str(), port, tv);
  if (context_ == nullptr) {
    throw RedisClientError("cannot connect to redis at " + endpoint_ +
                           ": hiredis could not allocate a context");
  }
  if (context_->err != 0 || redisSetTimeout(context_, tv) != REDIS_OK) {
    const std::string why = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    throw RedisClientError(fmt::format("cannot connect to redis at {} within {} ms: {}", endpoint_,
                                       timeout.count(), why));
  }
}

RedisClient::RedisClient(const RedisServer& server, std::chrono::milliseconds timeout)
    : RedisClient(server.host(), server.port(), timeout) {}

RedisClient::~RedisClient() {
  if (context_ != nullptr) redisFree(context_);
}

RedisClient::RedisClient(RedisClient&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)),
      endpoint_(std::move(other.endpoint_)),
      timeout_(other.timeout_),
      broken_(other.broken_) {}

RedisClient& RedisClient::operator=(RedisClient&& other) noexcept {
  if (this != &other) {
    if (context_ != nullptr) redisFree(context_);
    context_ = std::exchange(other.context_, nullptr);
    endpoint_ = std::move(other.endpoint_);
    timeout_ = other.timeout_;
    broken_ = other.broken_;
  }
  return *this;
}

Reply RedisClient::command(const Argv& argv) {
  if (context_ == nullptr) throw RedisClientError("RedisClient used after being moved from");
  if (broken_) {
    throw RedisClientError("connection to redis at " + endpoint_ +
                           " is unusable after an earlier error; make a new RedisClient");
  }
  if (argv.empty()) throw RedisClientError("RedisClient::command: empty command");
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  pointers.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const auto& arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  void* raw =
      redisCommandArgv(context_, static_cast<int>(argv.size()), pointers.data(), lengths.data());
  if (raw == nullptr) {
    broken_ = true;
    const std::string why = context_->err != 0 ? context_->errstr : "no reply";
    throw RedisClientError(fmt::format(
        "{} to redis at {}: no reply (I/O error, closed connection, or no answer within {} ms): {}",
        quoted(argv), endpoint_, timeout_.count(), why));
  }
  const std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
  return convert(*reply);
}

}  // namespace locklab::test_support
