// hiredis::Backend::call and fan_out: every request of a fan-out on the
// calling thread, no thread per server. Connects start together
// (non-blocking), each request is written as soon as its connection is ready,
// then one ppoll waits on every socket, the shutdown eventfd and the caller's
// stop eventfd at once, until each request has its final reply, the deadline
// passes, the stop token fires, shutdown() begins, or on_reply says stop.
//
// An entry goes wait_slot → (connecting → handshake →) request → done. The
// handshake (AUTH, SELECT, INFO server) runs on new connections only, and the
// request is written after its replies are checked. The NOSCRIPT fallback is
// written on the same connection as soon as the NOSCRIPT reply is parsed.
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "internal.hpp"
#include "locklab/assert.hpp"

namespace locklab::hiredis {
namespace {

using detail::ConnectionPtr;
using lock::NodeResult;
using time_point = Backend::time_point;

enum class Phase : std::uint8_t { wait_slot, connecting, handshake, request, done };
enum class HandshakeStep : std::uint8_t { auth, select, info };
enum class Why : std::uint8_t { running, deadline, cancelled, shutdown, observer };

struct Entry {
  std::size_t node = 0;
  Phase phase = Phase::wait_slot;
  ConnectionPtr connection;
  bool has_slot = false;
  bool slot_denied = false;  // asked for a slot and found none free
  bool sent = false;         // a byte of the request has been written
  bool in_fallback = false;  // the fallback replaced the request
  std::vector<HandshakeStep> steps;  // handshake replies still awaited, in order
  std::string handshake_bytes;
  std::string_view out;      // bytes still to write
  time_point connect_deadline = time_point::max();
};

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

std::string parse_run_id(const std::string& info) {
  const std::string key = "run_id:";
  const auto at = info.find(key);
  if (at == std::string::npos) return {};
  const auto begin = at + key.size();
  const auto end = info.find_first_of("\r\n", begin);
  return info.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

class FanOut {
 public:
  FanOut(Backend::Impl& im, std::span<const std::size_t> nodes, const lock::Command& command,
         const lock::Command& fallback, time_point deadline, const lock::ReplyObserver& on_reply)
      : im_(im), fallback_(fallback), deadline_(deadline), on_reply_(on_reply),
        entries_(nodes.size()), results_(nodes.size()) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      LOCKLAB_ASSERT_LT(nodes[i], im.nodes.size());
      entries_[i].node = nodes[i];
    }
    command_bytes_ = detail::format_command(command);
  }

  // Whatever ends the wait (on_reply may throw), the unfinished entries give
  // back their slots and close their connections.
  ~FanOut() {
    for (Entry& e : entries_) release(e, false);
  }
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  std::vector<NodeResult> run(const std::stop_token& stop);

 private:
  void start(std::size_t i);
  void on_connected(std::size_t i);
  void begin_request(std::size_t i);
  void write(std::size_t i);
  void read(std::size_t i);
  void on_reply(std::size_t i, lock::Reply reply);
  void finish(std::size_t i, NodeResult result, bool reusable);
  void fail(std::size_t i, Stage stage, int errno_value, std::string_view detail = {});
  void release(Entry& e, bool reusable);
  Stage stage_of(const Entry& e) const;
  std::string where(const Entry& e) const { return im_.nodes[e.node]->name; }
  bool all_done() const { return done_ == entries_.size(); }

  Backend::Impl& im_;
  const lock::Command& fallback_;
  const time_point deadline_;
  const lock::ReplyObserver& on_reply_;
  std::string command_bytes_;
  std::optional<std::string> fallback_bytes_;  // formatted on the first NOSCRIPT
  std::vector<Entry> entries_;
  std::vector<std::optional<NodeResult>> results_;
  std::size_t done_ = 0;
  bool observer_stopped_ = false;
};

Stage FanOut::stage_of(const Entry& e) const {
  switch (e.phase) {
    case Phase::wait_slot: return Stage::slot;
    case Phase::connecting: return Stage::connect;
    case Phase::handshake: return Stage::handshake;
    case Phase::request:
    case Phase::done: return e.sent ? Stage::reply : Stage::send;
  }
  return Stage::reply;
}

void FanOut::release(Entry& e, bool reusable) {
  if (e.connection) {
    if (reusable) {
      im_.put_idle(e.node, std::move(e.connection));
    } else {
      im_.drop(std::move(e.connection));
    }
  }
  if (e.has_slot) {
    e.has_slot = false;
    im_.give_slot();
  }
}

void FanOut::finish(std::size_t i, NodeResult result, bool reusable) {
  Entry& e = entries_[i];
  LOCKLAB_ASSERT(e.phase != Phase::done, "an entry finished twice");
  release(e, reusable);
  e.phase = Phase::done;
  ++done_;
  results_[i] = std::move(result);
  if (on_reply_ && !observer_stopped_ && !on_reply_(i, *results_[i])) observer_stopped_ = true;
}

void FanOut::fail(std::size_t i, Stage stage, int errno_value, std::string_view detail) {
  std::string text = where(entries_[i]);
  if (!detail.empty()) text += ": " + std::string(detail);
  finish(i, std::unexpected(map_failure(stage, errno_value, text)), false);
}

void FanOut::start(std::size_t i) {
  Entry& e = entries_[i];
  e.has_slot = true;
  if ((e.connection = im_.take_idle(e.node))) {
    begin_request(i);
    return;
  }
  int error = 0;
  e.connection = im_.open(e.node, error);
  if (!e.connection) {
    e.phase = Phase::connecting;
    fail(i, Stage::connect, error);
    return;
  }
  const auto now = Backend::clock::now();
  const auto budget = im_.nodes[e.node]->connect_timeout;
  e.connect_deadline = deadline_ - now > budget ? now + budget : deadline_;
  e.phase = Phase::connecting;
}

void FanOut::on_connected(std::size_t i) {
  Entry& e = entries_[i];
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(e.connection->fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    fail(i, Stage::connect, error);
    return;
  }
  const detail::Node& node = *im_.nodes[e.node];
  e.handshake_bytes = node.handshake;
  if (!node.endpoint.password.empty()) e.steps.push_back(HandshakeStep::auth);
  if (node.endpoint.db != 0) e.steps.push_back(HandshakeStep::select);
  bool knows_run_id = false;
  {
    const std::lock_guard guard(node.mutex);
    knows_run_id = !node.run_id.empty();
  }
  if (!knows_run_id) {
    static const std::string kInfo = detail::format_command({"INFO", "server"});
    e.handshake_bytes += kInfo;
    e.steps.push_back(HandshakeStep::info);
  }
  if (e.steps.empty()) {
    begin_request(i);
    return;
  }
  e.phase = Phase::handshake;
  e.out = e.handshake_bytes;
  write(i);
}

void FanOut::begin_request(std::size_t i) {
  Entry& e = entries_[i];
  e.phase = Phase::request;
  e.out = command_bytes_;
  ++im_.requests;
  write(i);
}

void FanOut::write(std::size_t i) {
  Entry& e = entries_[i];
  while (!e.out.empty()) {
    const ssize_t n = ::send(e.connection->fd(), e.out.data(), e.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      if (e.phase == Phase::request) e.sent = true;
      e.out.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    fail(i, stage_of(e), n < 0 ? errno : 0, "send");
    return;
  }
}

void FanOut::read(std::size_t i) {
  Entry& e = entries_[i];
  char buffer[16384];
  bool eof = false;
  int error = 0;
  for (;;) {
    const ssize_t n = ::recv(e.connection->fd(), buffer, sizeof buffer, 0);
    if (n > 0) {
      if (redisReaderFeed(e.connection->reader(), buffer, static_cast<std::size_t>(n)) != REDIS_OK) {
        throw std::bad_alloc();
      }
      if (static_cast<std::size_t>(n) < sizeof buffer) break;
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
    break;
  }
  while (e.phase != Phase::done) {
    void* raw = nullptr;
    if (redisReaderGetReply(e.connection->reader(), &raw) != REDIS_OK) {
      fail(i, stage_of(e), EPROTO, redisReaderGetError(e.connection->reader()));
      return;
    }
    if (raw == nullptr) break;
    lock::Reply reply = detail::to_reply(*static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    on_reply(i, std::move(reply));
  }
  if (e.phase != Phase::done && (eof || error != 0)) fail(i, stage_of(e), error, "recv");
}

void FanOut::on_reply(std::size_t i, lock::Reply reply) {
  Entry& e = entries_[i];
  if (e.phase == Phase::handshake) {
    LOCKLAB_ASSERT(!e.steps.empty(), "a handshake reply nobody asked for");
    const HandshakeStep step = e.steps.front();
    e.steps.erase(e.steps.begin());
    if (step == HandshakeStep::auth && reply.is_error()) {
      fail(i, Stage::handshake, EACCES, "AUTH: " + reply.str);
      return;
    }
    if (step == HandshakeStep::select && reply.is_error()) {
      fail(i, Stage::handshake, EINVAL, "SELECT " + std::to_string(im_.nodes[e.node]->endpoint.db) +
                                            ": " + reply.str);
      return;
    }
    // INFO refused (an ACL user without +info): the run_id stays unknown
    // and is asked again on the next new connection.
    if (step == HandshakeStep::info && !reply.is_error()) {
      const std::string run_id = parse_run_id(reply.str);
      if (!run_id.empty()) (void)im_.learn_run_id(e.node, run_id);
      if (auto refused = im_.refused_duplicate(e.node)) {
        finish(i, std::unexpected(std::move(*refused)), false);
        return;
      }
    }
    if (e.steps.empty()) begin_request(i);
    return;
  }
  LOCKLAB_ASSERT(e.phase == Phase::request, "a reply in an unexpected phase");
  if (!e.in_fallback && !fallback_.empty() && reply.is_error_code("NOSCRIPT")) {
    if (!fallback_bytes_) fallback_bytes_ = detail::format_command(fallback_);
    e.in_fallback = true;
    e.out = *fallback_bytes_;
    ++im_.requests;
    write(i);
    return;
  }
  const bool reusable = e.out.empty() && !e.connection->has_unparsed_bytes();
  finish(i, std::move(reply), reusable);
}

std::vector<NodeResult> FanOut::run(const std::stop_token& stop) {
  Why why = Why::running;
  if (im_.shutdown.stop_requested()) why = Why::shutdown;
  else if (stop.stop_requested()) why = Why::cancelled;
  else if (Backend::clock::now() >= deadline_) why = Why::deadline;  // nothing is sent
  const StopFd stop_fd(why == Why::running ? stop : std::stop_token{});
  if (why == Why::running) im_.check_fork();

  for (std::size_t i = 0; why == Why::running && i < entries_.size() && !observer_stopped_; ++i) {
    if (auto refused = im_.refused_duplicate(entries_[i].node)) {
      finish(i, std::unexpected(std::move(*refused)), false);
    } else if (im_.try_take_slot()) {
      start(i);
    } else {
      entries_[i].slot_denied = true;
    }
  }
  std::vector<pollfd> polls;
  std::vector<std::size_t> owners;
  while (why == Why::running) {
    if (observer_stopped_) {
      why = Why::observer;
      break;
    }
    if (all_done()) break;
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
        if (now >= e.connect_deadline) {
          fail(i, stage_of(e), ETIMEDOUT, "connect timeout");
        } else {
          wake = std::min(wake, e.connect_deadline);
        }
      }
    }
    if (observer_stopped_ || all_done()) continue;
    if (now >= deadline_) {
      why = Why::deadline;
      break;
    }
    polls.clear();
    owners.clear();
    polls.push_back({im_.shutdown_fd, POLLIN, 0});
    if (stop_fd.fd() >= 0) polls.push_back({stop_fd.fd(), POLLIN, 0});
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
      timeout = to_timespec(wake - now);
      timeout_ptr = &timeout;
    }
    const int ready = ::ppoll(polls.data(), polls.size(), timeout_ptr, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "ppoll");
    }
    if (polls[0].revents != 0) {
      why = Why::shutdown;
      break;
    }
    if (stop_fd.fd() >= 0 && polls[1].revents != 0) {
      why = Why::cancelled;
      break;
    }
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
  }

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
      release(e, false);
    }
    out.push_back(std::move(*results_[i]));
  }
  return out;
}

}  // namespace

std::vector<NodeResult> Backend::fan_out(std::span<const std::size_t> nodes,
                                         const lock::Command& command, time_point deadline,
                                         std::stop_token stop, const lock::ReplyObserver& on_reply,
                                         const lock::Command& fallback) {
  FanOut fan(*impl_, nodes, command, fallback, deadline, on_reply);
  return fan.run(stop);
}

lock::NodeResult Backend::call(std::size_t node, const lock::Command& command, time_point deadline,
                               std::stop_token stop) {
  const std::size_t nodes[] = {node};
  return std::move(fan_out(nodes, command, deadline, std::move(stop))[0]);
}

}  // namespace locklab::hiredis
