// lockimpl/hiredis/src/internal.hpp — the backend's private parts: a
// connection (a socket and its hiredis reader), a node (its address, its
// pool of idle connections, its run_id), and Backend::Impl, shared by
// backend.cpp (time, randomness, threads, pools) and fan_out.cpp (requests).
//
// Private to the library: it names hiredis types (forward declared only) and
// socket types, which stay out of the public header.
//
// Threads: Node's pool and run_id are guarded by Node::mutex; Impl's counters
// are atomics or guarded by their own mutex, as marked.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/hiredis/error_map.hpp"

struct redisReader;
struct redisReply;

namespace locklab::hiredis::detail {

// A redisReply (hiredis 0.14) as a lock::Reply, recursively. Types hiredis
// does not know map to an error reply saying so (never an exception).
lock::Reply to_reply(const redisReply& reply);

// A socket and the reader that parses what arrives on it. Closes and frees
// both on destruction.
class Connection {
 public:
  Connection(int fd, redisReader* reader) : fd_(fd), reader_(reader) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  int fd() const { return fd_; }
  redisReader* reader() { return reader_; }
  // Bytes fed to the reader and not yet taken as replies.
  bool has_unparsed_bytes() const;

  // Replies still to come for requests nobody awaits any more (a fan-out
  // whose caller stopped waiting): read and discarded, in order, before the
  // replies of the next request on this connection.
  int owed() const { return owed_; }
  void owe_one() { ++owed_; }
  // Takes one arriving reply as owed; false when none is owed.
  bool settle_one() {
    if (owed_ == 0) return false;
    --owed_;
    return true;
  }
  // Reads what has arrived without blocking and discards the owed replies
  // in it. False when the connection cannot carry a request: closed by the
  // server, a read error, bytes that are not RESP, or a reply nobody owed.
  bool drain_owed();
  // What read_available() saw besides the bytes it fed to the reader.
  struct Arrived {
    bool eof = false;          // the server closed its end
    int error = 0;             // a receive error (errno), or 0
    bool feed_failed = false;  // the reader refused the bytes (out of memory)
  };
  // Feeds the reader everything that has arrived, without blocking: recv
  // until a short read (all there was), end of stream, EAGAIN or an error.
  Arrived read_available();
  // Whether this idle connection can carry the next request, by one
  // non-blocking peek (cheaper than a poll of one socket): nothing to read
  // means alive; the replies it owes are drained; end of stream, an error
  // or bytes nobody owes mean it must be closed.
  bool usable_when_idle();

  // Puts the socket in blocking mode (it is created non-blocking, for the
  // connect): every other read and write passes MSG_DONTWAIT, and only
  // FanOut::wait_in_recv blocks on it. False when fcntl refuses; the
  // connection then stays non-blocking and is never waited on that way.
  bool make_blocking();
  bool blocking() const { return blocking_; }
  // Gives the socket a receive timeout (SO_RCVTIMEO) that ends a blocking
  // recv before `remaining` has passed, changing the one it has only when
  // that one is too long or much shorter than needed (a system call costs
  // microseconds; a request waits tens of them). False when the time left
  // is too short for the kernel's coarse receive timer (it counts in
  // scheduler ticks): ppoll then waits out the rest exactly.
  bool bound_receive(std::chrono::nanoseconds remaining);

 private:
  int fd_;
  redisReader* reader_;
  int owed_ = 0;
  bool blocking_ = false;
  std::chrono::nanoseconds receive_timeout_{0};  // SO_RCVTIMEO; zero: none set
};

// A pooled connection owes at most this many replies; one that would owe
// more is closed instead (a server that slow is better reconnected).
inline constexpr int kMaxOwedReplies = 4;

// Whether a pooled connection whose zero-timeout poll gave `revents` can
// carry the next request: nothing to say (revents 0), or only the owed
// replies it was expecting, now drained.
bool usable_after_poll(Connection& connection, short revents);
using ConnectionPtr = std::unique_ptr<Connection>;

// Opens a non-blocking socket to `node` and starts connecting. Returns the
// connection (connect in progress or done) or the errno of the failure.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // for messages: "127.0.0.1:6379", "[::1]:6379", "unix:/path"
};

struct Node {
  Endpoint endpoint;
  Address address;
  std::string name;                          // node_name()
  std::chrono::milliseconds connect_timeout{0};
  std::string handshake;                     // formatted AUTH / SELECT, maybe empty
  int handshake_replies = 0;                 // replies `handshake` asks for

  mutable std::mutex mutex;                  // guards what follows
  std::vector<ConnectionPtr> idle;
  std::string run_id;                        // "" until learned
  std::optional<std::size_t> same_as;        // the run_id of another node
  // Sockets a call is blocked reading (FanOut::wait_in_recv): they watch no
  // eventfd, so shutdown() wakes each with shutdown(2). A socket is listed
  // only while its owner is between registering and unregistering it, so
  // it cannot be closed (and its number reused) while listed.
  std::vector<int> blocked_readers;
};

// How many times this process's ancestry went through the child side of a
// fork() (a pthread_atfork handler counts them). check_fork() compares it
// with what it saw last instead of calling getpid(2) on every request: that
// is a system call each time (glibc no longer caches the pid), about 1 µs in
// a VM, and check_fork runs up to three times a request. A child made by
// fork() runs the handler; one made by clone(2) or _Fork() does not, and
// must not use a backend it inherited.
std::uint64_t forks();

// Formats argv as a RESP array of bulk strings (binary-safe), byte for
// byte what hiredis's redisFormatCommandArgv writes.
std::string format_command(const lock::Command& command);

}  // namespace locklab::hiredis::detail

namespace locklab::hiredis {

struct Backend::Impl {
  Options options;
  std::vector<std::unique_ptr<detail::Node>> nodes;
  std::stop_token shutdown;
  // An eventfd, readable once shutdown() began. Per process: a forked child
  // gets its own (check_fork), so its shutdown never wakes the parent's waits.
  std::atomic<int> shutdown_fd{-1};

  std::atomic<pid_t> pool_pid{0};  // the process the pools belong to
  // detail::forks() when pool_pid was last confirmed: while it has not
  // changed, this process forked no child that could be us.
  std::atomic<std::uint64_t> forks_seen{0};
  std::mutex run_ids_mutex;        // one run_id comparison at a time

  // In-flight slots.
  mutable std::mutex slots_mutex;
  std::size_t in_flight = 0;

  // Spawned threads: running (keyed by serial) or finished, not yet joined.
  std::mutex shutdown_mutex;
  std::mutex threads_mutex;
  bool closing = false;
  std::uint64_t next_thread = 0;
  std::map<std::uint64_t, std::thread> running;
  std::vector<std::thread> finished;

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> connections_dropped{0};
  std::atomic<std::uint64_t> no_slot{0};
  std::atomic<std::size_t> peak_in_flight{0};
  std::atomic<std::uint64_t> tasks_spawned{0};

  // A pooled connection to `node` that looks alive (usable_when_idle), or
  // nullptr; stale ones are closed here.
  detail::ConnectionPtr take_idle(std::size_t node);
  // The most recently pooled connection to `node`, or nullptr, without that
  // check: the caller checks several at once (FanOut::take_pooled).
  detail::ConnectionPtr take_idle_unchecked(std::size_t node);
  void put_idle(std::size_t node, detail::ConnectionPtr connection);
  void drop(detail::ConnectionPtr connection);
  // Starts a connection to `node`; errno on failure.
  detail::ConnectionPtr open(std::size_t node, int& error);
  // After fork(), on a child's first use: it closes its copies of the
  // parent's pooled sockets, takes an eventfd of its own for shutdown, and
  // forgets the parent's threads (they do not exist in the child: joining
  // them would hang). Called by fan_out, spawn and shutdown.
  void check_fork();
  bool try_take_slot();
  void give_slot();
  // Records `run_id` for `node`; the other node with the same run_id, if any.
  std::optional<std::size_t> learn_run_id(std::size_t node, const std::string& run_id);
  std::optional<lock::NodeError> refused_duplicate(std::size_t node) const;
};

}  // namespace locklab::hiredis
