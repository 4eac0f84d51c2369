// hiredis::Backend's connections: opening one (a non-blocking socket()/
// connect() of our own), the per-node pools of idle connections, the check
// that a pooled connection is still open before reuse, the fork rule, the
// in-flight slots and the run_id comparison between nodes.
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "internal.hpp"
#include "locklab/assert.hpp"

namespace locklab::hiredis {

using detail::ConnectionPtr;

namespace detail {
namespace {

std::atomic<std::uint64_t> forks_in_ancestry{0};
void count_fork_in_child() { forks_in_ancestry.fetch_add(1, std::memory_order_relaxed); }
// Registered once, when the library is loaded, before any backend exists.
[[maybe_unused]] const int registered = ::pthread_atfork(nullptr, nullptr, count_fork_in_child);

}  // namespace

std::uint64_t forks() { return forks_in_ancestry.load(std::memory_order_acquire); }

Connection::Arrived Connection::read_available() {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      if (redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n)) != REDIS_OK) {
        return {.feed_failed = true};
      }
      // A short read took all that had arrived: no second recv just to
      // hear EAGAIN (a system call costs microseconds here).
      if (static_cast<std::size_t>(n) < sizeof buffer) return {};
      continue;
    }
    if (n == 0) return {.eof = true};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
    return {.error = errno};
  }
}

bool Connection::drain_owed() {
  const Arrived arrived = read_available();
  if (arrived.eof || arrived.error != 0 || arrived.feed_failed) return false;
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader_, &reply) != REDIS_OK) return false;
    if (reply == nullptr) return true;
    freeReplyObject(reply);
    if (!settle_one()) return false;  // a reply nobody owed: out of step
  }
}

bool Connection::usable_when_idle() {
  for (;;) {
    char byte = 0;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return owed_ > 0 && drain_owed();
    if (n == 0) return false;  // closed by the server
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

bool usable_after_poll(Connection& connection, short revents) {
  if (revents == 0) return true;
  // Hung up or in error: closed whatever it owes. Readable with nothing
  // owed: EOF or stray bytes.
  if ((revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) != 0) return false;
  if (connection.owed() == 0) return false;
  return connection.drain_owed();
}

}  // namespace detail

void Backend::Impl::check_fork() {
  const std::uint64_t generation = detail::forks();
  if (generation == forks_seen.load(std::memory_order_acquire)) return;
  const pid_t self = ::getpid();
  pid_t owner = pool_pid.load();
  if (owner == self) {
    forks_seen.store(generation, std::memory_order_release);
    return;
  }
  if (!pool_pid.compare_exchange_strong(owner, self)) return;
  // A forked child: the pooled sockets are shared with the parent. Closing
  // our copies leaves the parent's connections open and untouched.
  // The parent's blocked readers are the parent's threads': shutting their
  // sockets down from here would end the parent's requests.
  for (auto& node : nodes) {
    std::vector<ConnectionPtr> idle;
    const std::lock_guard guard(node->mutex);
    idle.swap(node->idle);
    node->blocked_readers.clear();
  }
  // The shutdown eventfd is shared too: writing it here would wake (and
  // fail, as killed) every fan_out of the parent.
  const int fresh = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fresh >= 0) {
    if (shutdown.stop_requested()) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(fresh, &one, sizeof one);
    }
    const int old = shutdown_fd.exchange(fresh);
    if (old >= 0) ::close(old);
  }
  // The parent's requests in flight are not the child's: their slots are free.
  {
    const std::lock_guard guard(slots_mutex);
    in_flight = 0;
  }
  // The parent's threads were not copied: forget their handles, never join
  // or destroy them (a joinable std::thread's destructor terminates).
  const std::lock_guard guard(threads_mutex);
  auto* forgotten = new std::vector<std::thread>(std::move(finished));  // leaked on purpose
  for (auto& [key, t] : running) forgotten->push_back(std::move(t));
  running.clear();
  finished.clear();
  forks_seen.store(generation, std::memory_order_release);
}

ConnectionPtr Backend::Impl::take_idle(std::size_t node) {
  check_fork();
  detail::Node& n = *nodes[node];
  for (;;) {
    ConnectionPtr c;
    {
      const std::lock_guard guard(n.mutex);
      if (n.idle.empty()) return nullptr;
      c = std::move(n.idle.back());
      n.idle.pop_back();
    }
    // An idle connection has nothing to say but the replies it owes:
    // anything else readable means EOF (the server closed it: restart,
    // CLIENT KILL, timeout) or stray bytes, and it must not carry a request.
    if (c->usable_when_idle()) return c;
    drop(std::move(c));
  }
}

ConnectionPtr Backend::Impl::take_idle_unchecked(std::size_t node) {
  check_fork();
  detail::Node& n = *nodes[node];
  const std::lock_guard guard(n.mutex);
  if (n.idle.empty()) return nullptr;
  ConnectionPtr c = std::move(n.idle.back());
  n.idle.pop_back();
  return c;
}

void Backend::Impl::put_idle(std::size_t node, ConnectionPtr connection) {
  check_fork();
  if (shutdown.stop_requested()) {
    drop(std::move(connection));
    return;
  }
  detail::Node& n = *nodes[node];
  const std::lock_guard guard(n.mutex);
  n.idle.push_back(std::move(connection));
}

void Backend::Impl::drop(ConnectionPtr connection) {
  if (connection) {
    ++connections_dropped;
    connection.reset();
  }
}

ConnectionPtr Backend::Impl::open(std::size_t node, int& error) {
  const detail::Address& a = nodes[node]->address;
  const int fd = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return nullptr;
  }
  if (a.storage.ss_family != AF_UNIX) {
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  redisReader* reader = redisReaderCreate();
  if (reader == nullptr) {
    ::close(fd);
    throw std::bad_alloc();
  }
  auto c = std::make_unique<detail::Connection>(fd, reader);
  ++connections_opened;
  int rc = 0;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS) {
    error = errno;
    drop(std::move(c));
    return nullptr;
  }
  error = 0;
  return c;
}

bool Backend::Impl::try_take_slot() {
  const std::lock_guard guard(slots_mutex);
  if (in_flight >= options.max_in_flight) return false;
  ++in_flight;
  std::size_t seen = peak_in_flight.load();
  while (seen < in_flight && !peak_in_flight.compare_exchange_weak(seen, in_flight)) {
  }
  return true;
}

void Backend::Impl::give_slot() {
  const std::lock_guard guard(slots_mutex);
  LOCKLAB_ASSERT_GT(in_flight, 0u);
  --in_flight;
}

std::optional<std::size_t> Backend::Impl::learn_run_id(std::size_t node,
                                                       const std::string& run_id) {
  const std::lock_guard serial(run_ids_mutex);
  {
    const std::lock_guard guard(nodes[node]->mutex);
    nodes[node]->run_id = run_id;
  }
  for (std::size_t other = 0; other < nodes.size(); ++other) {
    if (other == node) continue;
    bool same = false;
    {
      const std::lock_guard guard(nodes[other]->mutex);
      same = !run_id.empty() && nodes[other]->run_id == run_id;
      if (same) nodes[other]->same_as = node;
    }
    if (same) {
      const std::lock_guard guard(nodes[node]->mutex);
      nodes[node]->same_as = other;
      return other;
    }
  }
  return std::nullopt;
}

std::optional<lock::NodeError> Backend::Impl::refused_duplicate(std::size_t node) const {
  std::optional<std::size_t> other;
  {
    const std::lock_guard guard(nodes[node]->mutex);
    other = nodes[node]->same_as;
  }
  if (!other) return std::nullopt;
  return map_failure(Stage::handshake, EEXIST,
                     "node " + std::to_string(node) + " (" + nodes[node]->name +
                         ") is the same server as node " + std::to_string(*other) + " (" +
                         nodes[*other]->name + ")");
}

}  // namespace locklab::hiredis
