// tests/support/redis_server.hpp — a real redis-server, and a client for it,
// for tests that compare against or run on the real thing.
//
// Provides:
//   RedisServer  RAII: starts its own redis-server 7.0 child process on
//                127.0.0.1 and a free port, in a temporary --dir, with
//                persistence off (--save '' --appendonly no), waits until it
//                answers PING, and on destruction shuts it down (SHUTDOWN
//                NOSAVE, then SIGTERM, then SIGKILL, each with a bounded
//                wait), reaps it and removes the directory.
//   RedisClient  RAII hiredis 0.14 connection: command(argv) sends one
//                command and returns the reply as a sim::redis::Reply, so a
//                real reply and a simulated one compare with ==.
//
// Not provided: clusters, replicas, TLS, pipelining, RESP3. This is test
// support code: it uses the real clock and real sleeps (it is not under sim/
// or lockimpl/, where the determinism rules apply).
//
// Failures throw (std::runtime_error, or RedisClientError for the client) with
// a message meant for a test log: redis-server not found (the test fails, it
// is never skipped: CI always has redis-server), the server exiting or not
// answering in time (with the tail of its log), a connection refused or a
// reply timing out. Thrown from a TEST body, GoogleTest reports it as a
// failure with that message.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL), so a test process that crashes or
// is killed by ctest's timeout leaves no redis-server behind. That signal is
// tied to the thread that started the server: start it from a thread that
// outlives the server (the test's main thread). Such a process does leave
// its temporary directory (locklab-redis-XXXXXX in $TMPDIR, the server's log)
// behind: only destructors remove it.
//
// Usage:
//   test_support::RedisServer server;                  // throws if it can't
//   test_support::RedisClient client(server);
//   Reply r = client.command({"SET", "k", "v", "PX", "10000"});
//   EXPECT_EQ(r, Reply::ok());
//   // Extra configuration (later arguments win over the defaults):
//   test_support::RedisServer aof({.extra_args = {"--appendonly", "yes"}});
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "locklab/sim/redis/resp.hpp"

struct redisContext;

namespace locklab::test_support {

struct RedisServerOptions {
  // Appended after the defaults (--port, --bind, --save '', --appendonly no,
  // --daemonize no, --dir), so they may override them, e.g. {"--appendonly", "yes"}.
  std::vector<std::string> extra_args;
  // How long the server may take to answer PING after it is started.
  std::chrono::milliseconds startup_timeout{5000};
  // How long each shutdown step (SHUTDOWN NOSAVE, SIGTERM) may take before
  // the next, harsher one.
  std::chrono::milliseconds shutdown_timeout{3000};
  // Attempts with a fresh port when another process takes ours first.
  int port_attempts = 5;
};

class RedisServer {
 public:
  // Starts the server and waits until it answers PING. Throws
  // std::runtime_error if redis-server is missing or never comes up.
  explicit RedisServer(RedisServerOptions options = {});
  // Stops the server if still running (see stop()); never throws.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  RedisServer(RedisServer&&) = delete;
  RedisServer& operator=(RedisServer&&) = delete;

  const std::string& host() const { return host_; }  // "127.0.0.1"
  int port() const { return port_; }
  pid_t pid() const { return pid_; }  // -1 once stopped
  bool running() const { return pid_ > 0; }
  // The server's working directory (--dir), removed on destruction.
  const std::filesystem::path& dir() const { return dir_; }
  // What the server wrote to stdout/stderr (its log) so far.
  std::string log() const;

  // Shuts the server down and reaps it: SHUTDOWN NOSAVE, then SIGTERM, then
  // SIGKILL, each given options.shutdown_timeout. Idempotent; never throws.
  void stop() noexcept;

  // The redis-server executable: the first on PATH, else /usr/bin/redis-server;
  // nullopt if neither exists.
  static std::optional<std::filesystem::path> find_executable();

 private:
  // One attempt on `port`: true once PING answers; false if the port was
  // taken; throws for any other failure.
  bool start_on(int port);
  bool wait_for_exit(std::chrono::milliseconds timeout) noexcept;

  RedisServerOptions options_;
  std::filesystem::path executable_;
  std::filesystem::path dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  pid_t pid_ = -1;
};

// A connection failure, a reply that did not come in time, or a broken
// connection. After one, the client is unusable: make a new one.
// A command as redis-cli's log shows it: "SET" "k" "v" (for messages).
std::string quoted(const sim::redis::Argv& argv);

class RedisClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RedisClient {
 public:
  // Connects within `timeout`, which also bounds each command's reply.
  // Throws RedisClientError. Ignores SIGPIPE in the whole process (hiredis
  // 0.14 writes with write(2), and a dead server must fail the command, not
  // kill the test).
  RedisClient(const std::string& host, int port,
              std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});
  explicit RedisClient(const RedisServer& server,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds{2000});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  RedisClient(RedisClient&& other) noexcept;
  RedisClient& operator=(RedisClient&& other) noexcept;

  // Sends one command (binary-safe) and waits for its reply. Redis errors are
  // replies (Reply::error), not exceptions; throws RedisClientError only when
  // no reply came (I/O error, timeout, connection closed).
  sim::redis::Reply command(const sim::redis::Argv& argv);

 private:
  redisContext* context_ = nullptr;
  std::string endpoint_;  // "host:port", for messages
  std::chrono::milliseconds timeout_;
  bool broken_ = false;  // an earlier command got no reply
};

}  // namespace locklab::test_support
