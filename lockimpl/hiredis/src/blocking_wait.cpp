// The wait for a lone request's reply in a blocking recv, as a plain
// blocking hiredis client waits. A ppoll over the socket and the shutdown
// eventfd, then a recv, costs two system calls and two passes through the
// poll machinery where a blocking recv costs one: about 4 % of a loopback
// round trip (bench/real_lock_bench.cpp). It applies when nothing else needs
// watching: one request, written in full on a connection whose handshake is
// done, and a stop token that can never fire. Shutdown reaches it through
// Node::blocked_readers; its deadline through SO_RCVTIMEO, to within the
// kernel's tick, and ppoll waits out the last ticks exactly.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>

#include "fan_out.hpp"
#include "locklab/assert.hpp"

namespace locklab::hiredis::detail {
namespace {

using std::chrono::nanoseconds;

// The receive timer sleeps in scheduler ticks (4 ms at HZ=250, 10 ms at the
// coarsest HZ=100) and may wake a tick late: the timeout stays a tick short
// of the time left, and a wait with less than two ticks left is ppoll's.
constexpr nanoseconds kTick = std::chrono::milliseconds{10};
// A longer wait wakes once per this and re-arms: cheap, and the timeout set
// for a 10 s acquire still suits a 1 s release.
constexpr nanoseconds kLongestTimeout = std::chrono::seconds{1};

// Lists the socket in its node's blocked_readers for the life of the object,
// unless shutdown() has begun (then `listed` is false and the caller must not
// block: shutdown() has already woken every socket listed).
class BlockedReader {
 public:
  BlockedReader(Backend::Impl& im, std::size_t node, int fd) : node_(*im.nodes[node]), fd_(fd) {
    const std::lock_guard guard(node_.mutex);
    if (im.shutdown.stop_requested()) return;
    node_.blocked_readers.push_back(fd_);
    listed = true;
  }
  ~BlockedReader() {
    if (!listed) return;
    const std::lock_guard guard(node_.mutex);
    auto& fds = node_.blocked_readers;
    const auto at = std::find(fds.begin(), fds.end(), fd_);
    LOCKLAB_ASSERT(at != fds.end(), "a blocked reader vanished from its node's list");
    fds.erase(at);
  }
  BlockedReader(const BlockedReader&) = delete;
  BlockedReader& operator=(const BlockedReader&) = delete;

  bool listed = false;

 private:
  Node& node_;
  const int fd_;
};

timeval to_timeval(nanoseconds d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return {static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

}  // namespace

bool Connection::make_blocking() {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) return false;
  blocking_ = true;
  return true;
}

bool Connection::bound_receive(nanoseconds remaining) {
  LOCKLAB_ASSERT(blocking_, "a receive timeout on a non-blocking socket");
  const nanoseconds usable = remaining - kTick;
  if (usable < kTick) return false;
  // The timeout set may be shorter than the time left (the wait then wakes
  // early and comes back), but never longer, and not so short that a
  // normal wait wakes for nothing.
  const nanoseconds floor = std::min(usable, kLongestTimeout) / 2;
  if (receive_timeout_ >= floor && receive_timeout_ <= usable) return true;
  const nanoseconds wanted = std::min(usable, kLongestTimeout) * 3 / 4;
  const timeval tv = to_timeval(wanted);
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return false;
  receive_timeout_ = wanted;
  LOCKLAB_ASSERT(receive_timeout_ >= floor && receive_timeout_ <= usable,
                 "the receive timeout set does not fit the time left");
  return true;
}

// Waits in recv while the one entry is a request written in full on a
// blocking socket. Returns running when ppoll must take over (the time left
// is short, a timeout woke it, the request still has bytes to write, the
// reply is done), or why the wait ended.
Why FanOut::wait_in_recv() {
  if (entries_.size() != 1) return Why::running;
  Entry& e = entries_[0];
  char buffer[16384];
  while (e.phase == Phase::request && e.out.empty() && !observer_stopped_ &&
         e.connection->blocking()) {
    const time_point now = Backend::clock::now();
    if (now >= deadline_) return Why::running;  // ppoll's last look takes a reply already in
    if (!e.connection->bound_receive(deadline_ - now)) return Why::running;
    ssize_t n = 0;
    int error = 0;
    {
      const BlockedReader blocked(im_, e.node, e.connection->fd());
      if (!blocked.listed) return Why::shutdown;
      n = ::recv(e.connection->fd(), buffer, sizeof buffer, 0);
      if (n < 0) error = errno;
    }
    // shutdown() may have shut the socket down under us: its EOF is not the
    // server's.
    if (im_.shutdown.stop_requested()) return Why::shutdown;
    if (n > 0) {
      if (redisReaderFeed(e.connection->reader(), buffer, static_cast<std::size_t>(n)) != REDIS_OK) {
        throw std::bad_alloc();
      }
      if (static_cast<std::size_t>(n) == sizeof buffer) {
        read(0);  // more may be waiting: read it without blocking
      } else {
        take_replies(0, false, 0);
      }
      continue;
    }
    if (n == 0) {
      take_replies(0, true, 0);
      continue;
    }
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return Why::running;  // the timeout
    take_replies(0, false, error);
  }
  return Why::running;
}

}  // namespace locklab::hiredis::detail
