// hiredis::Backend::call and fan_out: every request of a fan-out on the
// calling thread, no thread per server. Connects start together
// (non-blocking), each request is written as soon as its connection is ready,
// then one ppoll waits on every socket, the shutdown eventfd and the caller's
// stop eventfd at once (a lone request with no stop token to watch first
// waits in a blocking recv: blocking_wait.cpp), until each request has its final reply, the deadline
// passes, the stop token fires, shutdown() begins, or on_reply says stop.
//
// Options::fan_out = sequential runs such a fan-out per node, one after
// another (lock/detail/sequential_fan_out.hpp).
//
// The entries' state machines are in fan_out_entry.cpp (see fan_out.hpp).
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>

#include "fan_out.hpp"
#include "locklab/assert.hpp"
#include "locklab/lock/detail/sequential_fan_out.hpp"

namespace locklab::hiredis {
namespace detail {
namespace {

// The caller's stop token as a readable eventfd, for the poll set.
class StopFd {
 public:
  explicit StopFd(const std::stop_token& stop) {
    if (!stop.stop_possible()) return;
    fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    callback_.emplace(stop, Wake{fd_});
  }
  ~StopFd() {
    callback_.reset();  // waits for a callback running on another thread
    if (fd_ >= 0) ::close(fd_);
  }
  StopFd(const StopFd&) = delete;
  StopFd& operator=(const StopFd&) = delete;
  int fd() const { return fd_; }

 private:
  struct Wake {
    int fd;
    void operator()() const noexcept {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(fd, &one, sizeof one);
    }
  };
  int fd_ = -1;
  std::optional<std::stop_callback<Wake>> callback_;
};

timespec to_timespec(Backend::duration d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  if (ns <= 0) return {0, 0};
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

// Before the wait: nothing at all when the backend is shutting down, the
// caller has already stopped, or the deadline has passed (nothing is sent);
// otherwise every entry that finds a slot starts at once, on a pooled
// connection when one is alive (take_pooled checks them all together).
Why FanOut::start_all(const std::stop_token& stop) {
  if (im_.shutdown.stop_requested()) return Why::shutdown;
  if (stop.stop_requested()) return Why::cancelled;
  if (Backend::clock::now() >= deadline_) return Why::deadline;
  im_.check_fork();
  starting_.clear();
  for (std::size_t i = 0; i < entries_.size() && !observer_stopped_; ++i) {
    if (auto refused = im_.refused_duplicate(entries_[i].node)) {
      finish(i, std::unexpected(std::move(*refused)), false);
    } else if (im_.try_take_slot()) {
      entries_[i].has_slot = true;
      starting_.push_back(i);
    } else {
      entries_[i].slot_denied = true;
    }
  }
  take_pooled(starting_);
  for (std::size_t i : starting_) {
    if (observer_stopped_) {
      release(entries_[i], true);  // a pooled connection goes back unused
    } else {
      start(i);
    }
  }
  return Why::running;
}

// Takes a pooled connection for each of `indices` and checks them all with
// one zero-timeout ppoll (one alone with a peek, as take_idle does): an idle
// connection has nothing to say but the replies it owes, so readable or hung
// up (a restarted server, CLIENT KILL) means closed. A system call costs
// microseconds in a VM; a RedLock fan-out over five nodes makes one here
// instead of five. An entry whose
// connection was stale gets none; start() then tries the pool again.
void FanOut::take_pooled(std::span<const std::size_t> indices) {
  idle_polls_.clear();
  for (std::size_t i : indices) {
    Entry& e = entries_[i];
    e.connection = im_.take_idle_unchecked(e.node);
    if (e.connection) idle_polls_.push_back({e.connection->fd(), POLLIN | POLLRDHUP, 0});
  }
  if (idle_polls_.empty()) return;
  if (idle_polls_.size() == 1) {  // one socket: a peek is cheaper than a poll
    for (std::size_t i : indices) {
      Entry& e = entries_[i];
      if (e.connection && !e.connection->usable_when_idle()) im_.drop(std::move(e.connection));
    }
    return;
  }
  const timespec zero{0, 0};
  const int rc = ::ppoll(idle_polls_.data(), idle_polls_.size(), &zero, nullptr);
  if (rc == 0) return;
  std::size_t k = 0;
  for (std::size_t i : indices) {
    Entry& e = entries_[i];
    if (!e.connection) continue;
    // A failed ppoll proves nothing alive: treat each as stale, as take_idle does.
    if (rc < 0 || !detail::usable_after_poll(*e.connection, idle_polls_[k].revents)) {
      im_.drop(std::move(e.connection));
    }
    ++k;
  }
}

// One round: late slots, one ppoll over every socket, the shutdown eventfd
// and the stop eventfd, each ready socket's events, and only then the
// timeouts, judged on the clock as it read before the ppoll. So a deadline
// is called only after a look at the sockets that began past it: a thread
// the scheduler kept off its core past a deadline (or that a slow on_reply
// held) first takes the replies and refusals that arrived meanwhile — its
// ppoll then waits for nothing — instead of calling them timeouts.
Why FanOut::poll_once(int stop_fd, std::vector<pollfd>& polls, std::vector<std::size_t>& owners) {
  const time_point now = Backend::clock::now();
  bool waiting_for_slot = false;
  time_point wake = deadline_;
  for (std::size_t i = 0; i < entries_.size() && !observer_stopped_; ++i) {
    Entry& e = entries_[i];
    if (e.phase == Phase::wait_slot) {
      if (im_.try_take_slot()) {
        start(i);
      } else {
        e.slot_denied = true;
        waiting_for_slot = true;
      }
    }
    if (e.phase == Phase::connecting || e.phase == Phase::handshake) {
      wake = std::min(wake, e.connect_deadline);
    }
  }
  if (observer_stopped_ || all_done()) return Why::running;
  polls.clear();
  owners.clear();
  polls.push_back({im_.shutdown_fd.load(), POLLIN, 0});
  if (stop_fd >= 0) polls.push_back({stop_fd, POLLIN, 0});
  const std::size_t first_entry = polls.size();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (!e.connection || e.phase == Phase::done) continue;
    short events = POLLIN;
    if (e.phase == Phase::connecting) events = POLLOUT;
    else if (!e.out.empty()) events = POLLIN | POLLOUT;
    polls.push_back({e.connection->fd(), events, 0});
    owners.push_back(i);
  }
  // A slot freed by another thread wakes nothing here: look again each ms.
  if (waiting_for_slot) wake = std::min(wake, now + std::chrono::milliseconds{1});
  timespec timeout{};
  const timespec* timeout_ptr = nullptr;
  if (wake != time_point::max()) {
    timeout = to_timespec(wake - now);  // zero once a deadline has passed
    timeout_ptr = &timeout;
  }
  if (::ppoll(polls.data(), polls.size(), timeout_ptr, nullptr) < 0) {
    if (errno == EINTR) return Why::running;
    throw std::system_error(errno, std::generic_category(), "ppoll");
  }
  if (polls[0].revents != 0) return Why::shutdown;
  if (stop_fd >= 0 && polls[1].revents != 0) return Why::cancelled;
  for (std::size_t k = first_entry; k < polls.size() && !observer_stopped_; ++k) {
    const short revents = polls[k].revents;
    if (revents == 0) continue;
    const std::size_t i = owners[k - first_entry];
    Entry& e = entries_[i];
    if (e.phase == Phase::connecting) {
      on_connected(i);
      continue;
    }
    if ((revents & POLLOUT) != 0 && !e.out.empty()) write(i);
    if (e.phase != Phase::done && (revents & (POLLIN | POLLERR | POLLHUP | POLLRDHUP)) != 0) {
      read(i);
    }
  }
  return timeouts_after_events(now);
}

// The timeouts of a round whose look began at `looked`: a connect or
// handshake still unfinished fails if its own deadline had passed by then;
// the whole wait ends if the fan-out's had.
Why FanOut::timeouts_after_events(time_point looked) {
  if (observer_stopped_) return Why::running;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if ((e.phase == Phase::connecting || e.phase == Phase::handshake) &&
        looked >= e.connect_deadline) {
      fail(i, stage_of(e), ETIMEDOUT, "connect timeout");
    }
  }
  if (!all_done() && looked >= deadline_) return Why::deadline;
  return Why::running;
}

// The results, index-aligned with the nodes; each entry still unanswered
// gets what `why` says, maybe applied exactly when a byte of it was sent.
std::vector<NodeResult> FanOut::results(Why why) {
  const int errno_value = why == Why::shutdown    ? ESHUTDOWN
                          : why == Why::cancelled ? ECANCELED
                                                  : ETIMEDOUT;
  std::vector<NodeResult> out;
  out.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (!results_[i]) {
      std::string text = where(e);
      int code = errno_value;
      if (why == Why::observer) {
        code = e.sent ? ETIMEDOUT : ECANCELED;
        text += ": not awaited: on_reply stopped the wait";
      } else if (why == Why::deadline && e.phase == Phase::wait_slot && e.slot_denied) {
        code = EBUSY;
        ++im_.no_slot;
      }
      results_[i] = std::unexpected(map_failure(stage_of(e), code, text));
      // A request written in full that the caller stopped waiting for
      // leaves its connection owing one reply: pooled, it reads and discards
      // that reply before the next request's (one connection keeps its
      // order, so a late reply never answers a later request). Closing it
      // instead would cost a reconnect, and would let a command sent later
      // on another connection overtake it. Anything else (a timeout, an
      // error, a half-written request) closes the connection.
      const bool owes = why == Why::observer && e.phase == Phase::request && e.sent &&
                        e.out.empty() && e.connection &&
                        e.connection->owed() < detail::kMaxOwedReplies;
      if (owes) e.connection->owe_one();
      release(e, owes);
    }
    out.push_back(std::move(*results_[i]));
  }
  return out;
}

std::vector<NodeResult> FanOut::run(const std::stop_token& stop) {
  Why why = start_all(stop);
  // A stop token that can fire needs its eventfd watched: ppoll.
  if (why == Why::running && !stop.stop_possible()) why = wait_in_recv();
  const StopFd stop_fd(why == Why::running ? stop : std::stop_token{});
  std::vector<pollfd> polls;
  std::vector<std::size_t> owners;
  while (why == Why::running && !all_done()) {
    if (observer_stopped_) {
      why = Why::observer;
      break;
    }
    why = poll_once(stop_fd.fd(), polls, owners);
  }
  if (why == Why::running && observer_stopped_ && !all_done()) why = Why::observer;
  return results(why);
}

}  // namespace detail

std::vector<lock::NodeResult> Backend::fan_out(std::span<const std::size_t> nodes,
                                         const lock::Command& command, time_point deadline,
                                         std::stop_token stop, const lock::ReplyObserver& on_reply,
                                         const lock::Command& fallback) {
  if (impl_->options.fan_out == lock::FanOutMode::sequential && nodes.size() > 1) {
    // One node after another: each a fan-out of its own to that node alone.
    const auto expired = [&] { return clock::now() >= deadline; };
    return lock::detail::sequential_fan_out(nodes, stop, on_reply, expired, [&](std::size_t node) {
      const std::size_t only[] = {node};
      detail::FanOut one(*impl_, only, command, fallback, deadline, {});
      return std::move(one.run(stop).front());
    });
  }
  detail::FanOut fan(*impl_, nodes, command, fallback, deadline, on_reply);
  return fan.run(stop);
}

lock::NodeResult Backend::call(std::size_t node, const lock::Command& command, time_point deadline,
                               std::stop_token stop) {
  const std::size_t nodes[] = {node};
  return std::move(fan_out(nodes, command, deadline, std::move(stop))[0]);
}

}  // namespace locklab::hiredis
