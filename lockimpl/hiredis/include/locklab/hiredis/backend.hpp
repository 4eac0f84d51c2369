// locklab/hiredis/backend.hpp — the production backend: lockimpl's Backend
// (locklab/lock/backend.hpp) over real Redis servers, with hiredis 0.14's
// reply parser over sockets this backend owns.
//
// Provides Endpoint (one node: TCP host:port or a unix socket path, optional
// password or ACL user+password, db, connect timeout), Options, Stats and
// Backend, so that lock::RedLock<hiredis::Backend>, SingleNodeLock,
// NaiveLock, LockManager, AutoExtender and NamedMutex run against real
// servers:
//   - clock is std::chrono::steady_clock. It stops while the machine is
//     suspended, and a server's TTL does not: a holder whose machine was
//     suspended must treat its lease as lost. lockimpl's validity check reads
//     this local clock and cannot see the suspension.
//   - random_u64() comes from getrandom(2), one call per eight draws (a
//     per-thread buffer: a system call costs microseconds in a VM). A child
//     made by fork() throws its inherited buffer away before its first draw,
//     so parent and child never draw the same tokens; a child made by raw
//     clone(2) or _Fork() (no atfork handlers) must not use the backend.
//   - sleep_until(t, stop) wakes at once when `stop` fires or shutdown() runs.
//   - call()/fan_out() run on the calling thread, no thread per server:
//     non-blocking connects started together, every request written, then
//     all waited on together with ppoll (nanosecond timeouts); the caller's
//     stop token and shutdown() wake it at once (an eventfd in the poll set).
//     A lone request on a pooled connection with a stop token that cannot
//     fire waits in a blocking recv instead, as a plain blocking client
//     does (one system call, no poll set): its receive timeout (SO_RCVTIMEO,
//     counted in scheduler ticks) stays a tick short of the deadline and
//     ppoll waits out the last ticks, so the deadline is as exact; shutdown()
//     wakes it by shutting its socket down (shutdown(2)).
//     With Options::fan_out = sequential, fan_out() instead asks one node
//     after another, each as a call to that node alone.
//     The command is formatted once per fan_out (the bytes hiredis's
//     redisFormatCommandArgv writes, without its sprintf per argument);
//     replies are parsed by hiredis's redisReader and converted to
//     lock::Reply. Sends use MSG_NOSIGNAL: no SIGPIPE ever reaches the
//     process, and no signal disposition is changed.
//   - Per node, a pool of idle connections: connected lazily, reused after
//     a complete reply. A connection that timed out or broke is CLOSED,
//     never reused. One whose request was written in full but whose caller
//     stopped waiting (on_reply returned false: RedLock's return_early) is
//     pooled OWING that reply (at most 4 owed; beyond, closed): the next
//     request on it reads and discards the owed replies, in order, before
//     its own, so a late reply never answers a later request, and a command
//     sent afterwards to that node (a release undoing the acquire) cannot
//     overtake the abandoned one. If the owed reply does not come, the next
//     request times out and the connection is closed. Before reuse, an idle
//     connection is checked without waiting (one non-blocking MSG_PEEK, or
//     one zero-timeout ppoll over the sockets of a fan-out): hung up
//     (a restarted server, CLIENT KILL), or readable with nothing owed, or
//     with bytes that are not the owed replies → closed, and a fresh one is
//     opened, so the request is not a maybe-applied failure.
//   - fork(): on its first use of the backend (a request, spawn, shutdown or
//     the destructor) a child closes its copies of the pooled sockets (it
//     never talks over the parent's connections), takes a shutdown eventfd of
//     its own (its shutdown never wakes the parent's waits) and forgets the
//     parent's spawned threads, which do not exist in it. Forking while
//     another thread is inside the backend is not supported (a mutex may be
//     held in the child forever), as with any threaded library.
//   - A new connection runs its handshake before the request: AUTH (user
//     and password, or password), SELECT db when db != 0, and INFO server
//     for the node's run_id (every new connection: the server behind an
//     address may have changed since the last one). A refused AUTH makes the
//     request fail NodeErrorKind::misconfigured, maybe_applied = false, with
//     a detail that names the credentials problem (and the server's error
//     text); a failed SELECT likewise. If two nodes report the same run_id,
//     the calls to either node fail from then on (for the backend's life:
//     a configuration error, fixed by building it again with the right
//     endpoints) with misconfigured, maybe_applied = false, and a detail
//     "node i is the same server as node j" — a quorum over one server
//     counted twice would be unsafe. An ACL user without +info gets an error
//     for INFO: the run_id then stays unknown and the check is skipped.
//   - At most options.max_in_flight requests are out at once across all
//     threads (a NOSCRIPT fallback uses its request's slot); a request that
//     finds no slot before its deadline fails no_slot, unsent.
//   - spawn() starts a std::thread owned by the backend (at most
//     options.max_tasks alive at once), joined by shutdown(). What that
//     costs a program: a LockManager runs one contender task per key that
//     has waiters, an AutoExtender one watchdog per held lease — each a
//     thread here. Beyond max_tasks spawn() fails, and the caller hears it
//     as a value: the manager's waiters get `cancelled`, the extender starts
//     `stopped` (never renewing).
//
// Construction resolves every TCP host once (getaddrinfo, which blocks) and
// throws lock::ConfigError when two endpoints resolve to the same address or
// name the same unix socket path, naming both.
//
// Destruction order: destroy (or stop) every lock, LockManager, AutoExtender
// and NamedMutex that uses the backend BEFORE the backend; the destructor
// calls shutdown(), which joins the backend's spawned threads.
//
// Deliberately absent: TLS, RESP3, Redis Cluster, Sentinel (hiredis 0.14),
// and pipelining of several callers' requests on one connection.
//
//   hiredis::Backend backend({{.host = "10.0.0.1", .port = 6379},
//                             {.host = "10.0.0.2", .port = 6379},
//                             {.unix_path = "/run/redis/redis.sock"}});
//   lock::RedLock<hiredis::Backend> lock(backend, {.ttl = 10s});
//   auto got = lock.acquire("orders", backend.now() + 2s);
//
// Threads:
//   Backend: thread-safe — every member may be called from many threads at
//     once, except that shutdown() and the destructor must not run on one of
//     the backend's spawned threads (they join them).
//   Backend::Event: thread-safe; set() and reset() never block for long and
//     never throw; wait_until wakes on shutdown() too.
//   Backend::Mutex: std::mutex. Backend::NoThrowScope: per task; does nothing
//     (nothing here unwinds a task).
//   Endpoint, Options, Stats: plain values.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "locklab/hiredis/export.hpp"
// lockimpl's types appear in the exported signatures, and lock::ConfigError
// is thrown across the library's boundary. Under a shared build's
// -fvisibility=hidden they would be hidden types, which hides every function
// that names them: these includes give them default visibility (every
// backend source includes this header before any other of lockimpl's).
#pragma GCC visibility push(default)
#include "locklab/lock/backend.hpp"
#include "locklab/lock/options.hpp"
#pragma GCC visibility pop

namespace locklab::hiredis {

// One Redis node. Either TCP (host, port) or, when unix_path is not empty, a
// unix socket.
struct LOCKLAB_HIREDIS_API Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_path{};  // non-empty: connect here instead of host:port
  std::string user{};       // non-empty: AUTH user password (ACL)
  std::string password{};   // non-empty: AUTH password (or AUTH user password)
  int db = 0;               // SELECT db on each new connection when non-zero
  // Bounds connect plus handshake of a new connection (within the request's
  // own deadline); zero: use Options::connect_timeout.
  std::chrono::milliseconds connect_timeout{0};
};

struct LOCKLAB_HIREDIS_API Options {
  std::chrono::milliseconds connect_timeout{1000};
  std::size_t max_in_flight = 10;  // requests out at once, across threads
  std::size_t max_tasks = 256;     // spawned tasks alive at once
  // parallel: fan_out() as described above (the slowest node's round trip).
  // sequential: one node after another, each such a fan-out of one node,
  // under the one deadline (lock/backend.hpp says what the caller sees).
  lock::FanOutMode fan_out = lock::FanOutMode::parallel;
};

// What the backend has done, for tests and reports.
struct LOCKLAB_HIREDIS_API Stats {
  std::uint64_t requests = 0;             // commands sent, fallbacks included
  std::uint64_t connections_opened = 0;   // connects started
  std::uint64_t connections_dropped = 0;  // closed after a timeout, error, abandonment or staleness
  std::uint64_t no_slot = 0;              // requests that found no slot in time
  std::size_t peak_in_flight = 0;         // most requests out at once
  std::uint64_t tasks_spawned = 0;        // spawn() calls that started a thread
};

class LOCKLAB_HIREDIS_API Backend {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;
  using TaskId = std::thread::id;

  // Resolves the endpoints (blocking name lookups) and opens no connection.
  // Throws lock::ConfigError for no endpoints, a bad option, a host that does
  // not resolve, or two endpoints that are the same address.
  explicit Backend(std::vector<Endpoint> endpoints, Options options = {});
  ~Backend();  // shutdown()
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  time_point now() const { return clock::now(); }
  // False if `stop` fired or shutdown() began before `t`.
  bool sleep_until(time_point t, std::stop_token stop = {});
  bool sleep_for(duration d, std::stop_token stop = {});
  std::uint64_t random_u64();

  std::size_t node_count() const;
  std::string node_name(std::size_t node) const;  // "host:port" or "unix:path"

  lock::NodeResult call(std::size_t node, const lock::Command& command, time_point deadline,
                        std::stop_token stop = {});
  // See lock/backend.hpp. An entry without a final reply at return is
  // timed_out (deadline, or on_reply returned false), cancelled (stop token)
  // or killed (shutdown), maybe_applied when its request had been written;
  // no_slot when it never found a slot before the deadline.
  std::vector<lock::NodeResult> fan_out(std::span<const std::size_t> nodes,
                                        const lock::Command& command, time_point deadline,
                                        std::stop_token stop = {},
                                        const lock::ReplyObserver& on_reply = {},
                                        const lock::Command& fallback = lock::no_fallback());

  // False, having run nothing and kept nothing, after shutdown() began, when
  // options.max_tasks tasks are alive, or when no thread can be created. A
  // task that throws terminates the process (as any std::thread does).
  bool spawn(std::string_view name, std::function<void()> task);
  TaskId current_task() const { return std::this_thread::get_id(); }

  // Wakes every sleep, Event wait and fan_out (false, cancelled, killed),
  // refuses new requests (killed, not applied) and spawns, joins every
  // spawned thread and closes the pooled connections. Idempotent.
  void shutdown();
  bool shutting_down() const { return shutdown_.stop_requested(); }

  Stats stats() const;
  std::size_t in_flight() const;  // requests out right now
  std::size_t idle_connections(std::size_t node) const;  // pooled for node

  class LOCKLAB_HIREDIS_API Event {
   public:
    explicit Event(Backend& backend) : shutdown_(backend.shutdown_.get_token()) {}
    void set() noexcept;
    void reset() noexcept;
    bool is_set() const noexcept;
    // signalled once set; cancelled when `stop` fires or the backend shuts
    // down first; timed_out at `deadline` (max(): none).
    lock::WaitStatus wait_until(time_point deadline, std::stop_token stop = {});

   private:
    std::stop_token shutdown_;
    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    bool set_ = false;
  };

  using Mutex = std::mutex;

  class NoThrowScope {
   public:
    explicit NoThrowScope(Backend& /*backend*/) {}
  };

  struct LOCKLAB_HIREDIS_LOCAL Impl;  // the sockets, pools and threads (backend.cpp, fan_out.cpp)

 private:
  std::stop_source shutdown_;
  std::unique_ptr<Impl> impl_;
};

static_assert(lock::Backend<Backend>);

}  // namespace locklab::hiredis
