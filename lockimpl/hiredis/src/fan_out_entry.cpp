// One fan-out entry's state machine on its socket's events: start (a pooled
// connection or a new one), connect, handshake, request, fallback, finish.
// Every failure goes through map_failure (error_map.hpp).
#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <cerrno>

#include "fan_out.hpp"
#include "locklab/assert.hpp"

namespace locklab::hiredis::detail {
namespace {

std::string parse_run_id(const std::string& info) {
  const std::string key = "run_id:";
  const auto at = info.find(key);
  if (at == std::string::npos) return {};
  const auto begin = at + key.size();
  const auto end = info.find_first_of("\r\n", begin);
  return info.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

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
  if (e.connection || (e.connection = im_.take_idle(e.node))) {
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
  (void)e.connection->make_blocking();  // if refused, it is only never waited on in recv
  const Node& node = *im_.nodes[e.node];
  e.handshake_bytes = node.handshake;
  if (!node.endpoint.password.empty()) e.steps.push_back(HandshakeStep::auth);
  if (node.endpoint.db != 0) e.steps.push_back(HandshakeStep::select);
  // Every new connection asks for the run_id: the server behind an address
  // may have changed since the last one (a restart, a repointed proxy or
  // unix socket link), and a second node's server found again must be
  // caught before this request is sent.
  static const std::string kInfo = format_command({"INFO", "server"});
  e.handshake_bytes += kInfo;
  e.steps.push_back(HandshakeStep::info);
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
    const ssize_t n = ::send(e.connection->fd(), e.out.data(), e.out.size(),
                             MSG_NOSIGNAL | MSG_DONTWAIT);
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
  const Connection::Arrived arrived = entries_[i].connection->read_available();
  if (arrived.feed_failed) throw std::bad_alloc();
  take_replies(i, arrived.eof, arrived.error);
}

void FanOut::take_replies(std::size_t i, bool eof, int error) {
  Entry& e = entries_[i];
  while (e.phase != Phase::done) {
    void* raw = nullptr;
    if (redisReaderGetReply(e.connection->reader(), &raw) != REDIS_OK) {
      fail(i, stage_of(e), EPROTO, redisReaderGetError(e.connection->reader()));
      return;
    }
    if (raw == nullptr) break;
    lock::Reply reply = to_reply(*static_cast<redisReply*>(raw));
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
    // and this connection goes on without the check.
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
  if (e.connection->settle_one()) return;  // owed to a request nobody awaits
  if (!e.in_fallback && !fallback_.empty() && reply.is_error_code("NOSCRIPT")) {
    if (!fallback_bytes_) fallback_bytes_ = format_command(fallback_);
    e.in_fallback = true;
    e.out = *fallback_bytes_;
    ++im_.requests;
    write(i);
    return;
  }
  const bool reusable = e.out.empty() && !e.connection->has_unparsed_bytes();
  finish(i, std::move(reply), reusable);
}

}  // namespace locklab::hiredis::detail
