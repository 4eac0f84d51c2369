// tests/hiredis/redis_process.hpp — a real redis-server child process for the
// hiredis backend's tests, with nothing but POSIX (no sim, no fmt, and no
// change to the test process's SIGPIPE disposition).
//
// Provides RedisProcess: starts redis-server on 127.0.0.1 and a free port (or
// a given one, for restarts on the same port), optionally with a unix socket
// in its temporary directory; waits until it answers PING over a raw socket;
// pid() for SIGSTOP/SIGCONT; stop() (SIGCONT, SIGTERM, then SIGKILL) and
// start() again on the same port. Persistence is off.
//
// Not provided: a client (the tests use hiredis::Backend itself), replicas.
//
// Threads: one test thread owns it; the child gets PR_SET_PDEATHSIG(SIGKILL).
//
//   RedisProcess server({.unix_socket = true});
//   hiredis::Backend backend({{.port = server.port()}});
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace locklab::hiredis_test {

struct RedisProcessOptions {
  std::vector<std::string> extra_args{};
  bool unix_socket = false;  // also listen on <dir>/redis.sock (perm 700)
};

class RedisProcess {
 public:
  explicit RedisProcess(RedisProcessOptions options = {});
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string unix_path() const { return (dir_ / "redis.sock").string(); }
  std::string log() const;

  // SIGCONT, SIGTERM, SIGKILL after 3 s; reaps. Idempotent.
  void stop() noexcept;
  // Starts it again on the same port (throws if it does not come up).
  void start();

 private:
  bool start_on(int port);

  RedisProcessOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

}  // namespace locklab::hiredis_test
