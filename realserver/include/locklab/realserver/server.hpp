// locklab/realserver/server.hpp — one real redis-server, and the faults a
// test or a real-mode runner applies to it.
//
// Provides Persistence and ServerOptions (plain values) and Server, which
//   - starts redis-server on 127.0.0.1 and a free port (a fresh port when the
//     one picked was taken meanwhile), in a temporary directory of its own
//     (its log, AOF and RDB files live there), optionally also on a unix
//     socket in that directory, with the given persistence and extra
//     arguments (after the harness's own, so they override them; one of its
//     own is repl-diskless-sync-delay 0, so a replica links in milliseconds
//     rather than after Redis 7's default 5 s), optionally as a replica
//     (--replicaof) — and returns only once it answers PING (+PONG: a server still loading its AOF answers
//     -LOADING and is waited for) and, for a replica, once it reports
//     master_link_status:up;
//   - applies real faults: freeze()/resume() (SIGSTOP/SIGCONT: the kernel
//     still completes TCP handshakes; commands run after the resume),
//     kill() (SIGKILL, reaped: a crash, nothing flushed that the
//     persistence settings did not already write), stop() (SIGTERM: a clean
//     shutdown), start() again on the same port and directory, restart()
//     (kill, an optional delay, start), client_kill() (CLIENT KILL with any
//     filter), promote() (REPLICAOF NO ONE), replicate() (REPLICAOF host
//     port) and admin() for any other command;
//   - ends its process by pid in the destructor (SIGCONT, SIGTERM, a bounded
//     wait, SIGKILL, reap) and removes its directory, also when the test
//     failed or threw. The process dies with its starting thread too
//     (PR_SET_PDEATHSIG; see child_process.hpp): start and restart servers
//     from a thread that outlives them. A forked copy of the owning process
//     neither signals the server nor removes its directory.
//
// admin() and the fault helpers open a fresh admin connection per call
// (admin.hpp: send with MSG_NOSIGNAL, no SIGPIPE, no disposition changed);
// every failure is an exception whose message names the server (port, pid)
// and ends with the tail of its log.
//
// Not provided: Redis Cluster, Sentinel, TLS, ACL set-up (pass --requirepass
// and friends as extra_args; admin() then needs AUTH, which it does not
// send), network faults between processes (partitions and delays need a
// relay). Clock faults come from the clock shim (tools/clockshim), which a
// server runs under when `environment` carries its LD_PRELOAD.
//
// Thread-safety: not thread-safe. One thread owns a Server and calls its
// members; other threads may talk to the redis-server itself over their own
// connections at any time.
//
//   Server server({.persistence = Persistence::aof_always(), .unix_socket = true});
//   hiredis::Backend backend({{.port = server.port()}});
//   server.kill();
//   server.start();  // same port, same directory: the AOF is replayed
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "locklab/realserver/admin.hpp"
#include "locklab/realserver/child_process.hpp"
#include "locklab/realserver/error.hpp"

namespace locklab::realserver {

// What survives a kill: nothing by default.
struct Persistence {
  bool appendonly = false;
  std::string appendfsync = "everysec";  // always | everysec | no
  std::vector<std::string> save{};       // RDB rules such as "900 1"; empty: no snapshots

  // AOF written and fsynced before each reply: an acknowledged write survives SIGKILL.
  static Persistence aof_always() { return {.appendonly = true, .appendfsync = "always", .save = {}}; }
};

struct ServerOptions {
  Persistence persistence{};
  bool unix_socket = false;          // also listen on dir()/redis.sock (perm 700)
  std::optional<int> replica_of{};   // --replicaof 127.0.0.1 <port>
  std::vector<std::string> extra_args{};  // appended last, so they override the above
  // "NAME=value" entries added to the server's environment (replacing
  // inherited ones of the same name). For a server on a shimmed wall clock:
  // .environment = clockshim::ClockControl::create(path).environment()
  // (docs/clockshim.md).
  std::vector<std::string> environment{};
  std::string executable = "redis-server";
  std::chrono::milliseconds start_timeout{10'000};  // up and (replicas) linked
  std::chrono::milliseconds stop_grace{3000};       // SIGTERM to SIGKILL
};

class Server {
 public:
  using Timeout = std::chrono::milliseconds;

  // Starts the server (see the top of this file). Throws StartError.
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  static constexpr const char* host() { return "127.0.0.1"; }
  int port() const { return port_; }
  std::string address() const { return std::string(host()) + ":" + std::to_string(port_); }
  // dir()/redis.sock when options.unix_socket, otherwise empty.
  std::string unix_path() const;
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  bool running() const { return process_ && process_->running(); }
  bool frozen() const { return frozen_; }
  const std::filesystem::path& dir() const { return dir_; }
  const ServerOptions& options() const { return options_; }
  std::string log() const;
  std::string log_tail(std::size_t lines = 20) const;

  // Faults. freeze() throws Error when the server is not running; resume()
  // of a server that is not frozen does nothing.
  void freeze();
  void resume();
  void kill() noexcept;  // SIGKILL and reap
  void stop() noexcept;  // SIGCONT, SIGTERM, stop_grace, SIGKILL; reaps
  // Starts it again on its port and directory; waits as the constructor
  // does (the port may be in use for a moment after a kill: retried until
  // start_timeout). Throws Error when running, StartError when it fails.
  void start();
  // kill(), then `delay` (blocking the caller), then start().
  void restart(std::chrono::milliseconds delay = std::chrono::milliseconds{0});

  // Any command over a fresh admin connection; an error reply is returned.
  AdminReply admin(const std::vector<std::string>& argv, Timeout timeout = Timeout{2000}) const;
  // As admin(), but an error reply throws AdminError(reply).
  AdminReply admin_ok(const std::vector<std::string>& argv, Timeout timeout = Timeout{2000}) const;
  // CLIENT KILL <filter...> (e.g. {"TYPE", "normal"} or {"ADDR", "127.0.0.1:5000"});
  // the admin connection itself is skipped. Returns the number of clients killed.
  std::int64_t client_kill(const std::vector<std::string>& filter) const;
  // INFO <section> as text.
  std::string info(const std::string& section) const;
  // REPLICAOF NO ONE: a replica becomes a master (keeping its data).
  void promote() const;
  // REPLICAOF 127.0.0.1 <port of master>; then waits for the link.
  void replicate(const Server& master, Timeout timeout = Timeout{10'000}) const;
  // Polls INFO replication until master_link_status:up; throws Error at timeout.
  void wait_for_link(Timeout timeout = Timeout{10'000}) const;

 private:
  enum class Launch { up, port_taken };
  Launch launch(int port);
  void wait_until_up(std::uintmax_t log_offset);
  std::vector<std::string> arguments(int port) const;
  [[noreturn]] void fail_start(const std::string& what);
  std::string describe() const;  // "redis-server 127.0.0.1:port (pid N)"

  ServerOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t owner_;  // the process that started it (a fork's copy leaves it alone)
  std::optional<ChildProcess> process_{};
  bool frozen_ = false;
};

}  // namespace locklab::realserver
