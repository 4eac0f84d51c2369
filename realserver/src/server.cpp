// Server's life cycle: the temporary directory, the argv, launching on a
// port (a fresh one when it was taken), waiting until it answers, and the
// process faults (freeze, kill, stop, start, restart). The admin commands
// are in server_admin.cpp.
#include "locklab/realserver/server.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "locklab/realserver/ports.hpp"

namespace locklab::realserver {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPortAttempts = 10;

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "locklab-realserver-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  return pattern;
}

std::string read_from(const fs::path& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uintmax_t size_of(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

// The server answers PING with +PONG (or -NOAUTH: it is up, it wants a
// password). -LOADING and no answer mean not yet.
bool answers_ping(int port) {
  try {
    AdminConnection c(Server::host(), port, std::chrono::milliseconds{250});
    const AdminReply r = c.command({"PING"}, std::chrono::milliseconds{250});
    return (r.type == AdminReply::Type::status && r.text == "PONG") ||
           (r.is_error() && r.text.starts_with("NOAUTH"));
  } catch (const AdminError&) {
    return false;
  }
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)), dir_(make_temp_dir()), owner_(::getpid()) {
  try {
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
      if (launch(free_port()) == Launch::up) return;
    }
    fail_start("no free port after " + std::to_string(kPortAttempts) + " attempts");
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

Server::~Server() {
  stop();
  // A forked copy of the owner (which stop() left alone) must not delete the
  // directory of a server that still runs.
  if (::getpid() != owner_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string Server::unix_path() const {
  return options_.unix_socket ? (dir_ / "redis.sock").string() : std::string();
}

std::string Server::log() const { return read_from(dir_ / "redis.log", 0); }

std::string Server::log_tail(std::size_t lines) const {
  const std::string text = log();
  std::size_t at = text.size();
  // Skip a final newline, then walk back `lines` line breaks.
  if (at > 0 && text[at - 1] == '\n') --at;
  for (std::size_t n = 0; n < lines && at > 0; ++n) {
    const std::size_t nl = text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return text.substr(at == 0 ? 0 : at + 1);
}

std::string Server::describe() const {
  const std::string state = running() ? "pid " + std::to_string(pid()) : std::string("not running");
  return "redis-server " + address() + " (" + state + ", dir " + dir_.string() + ")";
}

void Server::fail_start(const std::string& what) {
  const std::string message = describe() + ": " + what + "; log tail:\n" + log_tail();
  process_.reset();  // stops it, if it is still there
  frozen_ = false;
  throw StartError(message);
}

std::vector<std::string> Server::arguments(int port) const {
  const Persistence& p = options_.persistence;
  std::string save;
  for (const std::string& rule : p.save) save += (save.empty() ? "" : " ") + rule;
  std::vector<std::string> args = {
      options_.executable, "--port", std::to_string(port), "--bind", host(),
      "--dir", dir_.string(), "--daemonize", "no", "--logfile", "",
      "--appendonly", p.appendonly ? "yes" : "no", "--appendfsync", p.appendfsync,
      "--save", save,
      // A master sends its first full sync to a replica without waiting 5 s
      // for more replicas to join (Redis 7's default): replicas link at once.
      "--repl-diskless-sync-delay", "0"};
  if (options_.unix_socket) {
    args.insert(args.end(), {"--unixsocket", unix_path(), "--unixsocketperm", "700"});
  }
  if (options_.replica_of) {
    args.insert(args.end(), {"--replicaof", host(), std::to_string(*options_.replica_of)});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  return args;
}

Server::Launch Server::launch(int port) {
  port_ = port;
  frozen_ = false;
  const fs::path log_path = dir_ / "redis.log";
  const std::uintmax_t offset = size_of(log_path);
  process_.emplace(arguments(port), log_path, options_.environment);
  const auto until = Clock::now() + options_.start_timeout;
  while (Clock::now() < until) {
    if (const std::optional<int> status = process_->try_reap()) {
      if (read_from(log_path, offset).find("Address already in use") != std::string::npos) {
        return Launch::port_taken;
      }
      fail_start("exited during start-up (" + describe_wait_status(*status) + ")");
    }
    if (answers_ping(port)) {
      if (options_.replica_of) {
        try {
          wait_for_link(std::chrono::duration_cast<Timeout>(until - Clock::now()));
        } catch (const Error& e) {
          fail_start(std::string("the replica did not link to its master: ") + e.what());
        }
      }
      return Launch::up;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  fail_start("did not answer PING within " + std::to_string(options_.start_timeout.count()) + " ms");
}

void Server::start() {
  if (running()) throw Error(describe() + ": start() while it is running");
  // After a kill the port can be briefly unavailable; keep the same port
  // (clients are configured with it) and try again until start_timeout.
  const auto until = Clock::now() + options_.start_timeout;
  while (launch(port_) == Launch::port_taken) {
    if (Clock::now() >= until) fail_start("its port stayed in use");
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

void Server::restart(std::chrono::milliseconds delay) {
  kill();
  if (delay > std::chrono::milliseconds::zero()) std::this_thread::sleep_for(delay);
  start();
}

void Server::freeze() {
  if (!running() || !process_->signal(SIGSTOP)) throw Error(describe() + ": freeze() but it is not running");
  frozen_ = true;
}

void Server::resume() {
  if (running()) process_->signal(SIGCONT);
  frozen_ = false;
}

void Server::kill() noexcept {
  if (process_) process_->kill();
  frozen_ = false;
}

void Server::stop() noexcept {
  if (process_) process_->stop(options_.stop_grace);
  frozen_ = false;
}

}  // namespace locklab::realserver
