#include "locklab/sim/lock_backend.hpp"

#include <algorithm>
#include <deque>
#include <utility>

#include <boost/container/small_vector.hpp>

#include "locklab/assert.hpp"
#include "locklab/lock/detail/sequential_fan_out.hpp"
#include "locklab/lock/redis_error.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

std::optional<LocalTime> finite(LocalTime t) {
  if (t == LocalTime::max()) return std::nullopt;
  return t;
}

// `sent`: the request may have reached the node before the error.
lock::NodeError to_node_error(SimError e, bool sent) {
  switch (e) {
    case SimError::killed: return {lock::NodeErrorKind::killed, sent, "the client process is gone"};
    case SimError::timed_out: return {lock::NodeErrorKind::timed_out, sent, "no reply by the deadline"};
    case SimError::connection_refused:
      return {lock::NodeErrorKind::refused, false, "connection refused"};
    case SimError::unreachable: return {lock::NodeErrorKind::refused, false, "node unreachable"};
    case SimError::connection_reset:
      return {lock::NodeErrorKind::connection_lost, sent, "connection reset"};
    case SimError::connection_closed:
      return {lock::NodeErrorKind::connection_lost, sent, "connection closed"};
  }
  return {lock::NodeErrorKind::connection_lost, sent, "unknown network error"};
}

}  // namespace

// How far a request on a fiber of its own has got, for a caller that stops
// waiting before it ends: nothing reached the node until it was sent. A
// request its caller abandoned before sending it is never sent, so the
// caller can report it as not applied (the fiber goes on in the background).
enum class RequestStage : std::uint8_t { waiting_for_slot, unsent, sent };
struct RequestProgress {
  RequestStage stage = RequestStage::waiting_for_slot;
  bool abandoned = false;
};

struct LockBackend::Core {
  Core(Process& p, std::vector<LockNode> n, LockBackendOptions o)
      : self(p), nodes(std::move(n)), options(o), idle(nodes.size()), slot_freed(p) {}

  Process& self;
  std::vector<LockNode> nodes;
  LockBackendOptions options;
  std::vector<std::vector<std::unique_ptr<redis::Client>>> idle;  // per node
  std::size_t in_flight = 0;
  Signal slot_freed;
  LockBackendStats stats;

  // A request slot, given back even when the request unwinds (a kill).
  class SlotHold {
   public:
    explicit SlotHold(Core* core) : core_(core) {}
    SlotHold(SlotHold&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
    SlotHold& operator=(SlotHold&&) = delete;
    ~SlotHold() {
      if (core_ == nullptr) return;
      --core_->in_flight;
      core_->slot_freed.notify_one();
    }

   private:
    Core* core_;
  };

  // A request on its way: sent on `client`, or already failed (`failed`),
  // or not sent because its pooled connection had broken (`stale`).
  struct Pending {
    std::size_t node = 0;
    std::unique_ptr<redis::Client> client;
    std::optional<lock::NodeError> failed;
    std::optional<SlotHold> slot;
    bool stale = false;
  };

  // Takes a slot and sends the request (without waiting for the reply).
  // With reconnect = false a broken pooled connection is reported `stale`
  // instead of being replaced here (opening one is a round trip).
  // `encoded`, if not empty, is `command` already in RESP (a fan-out
  // encodes its one command once for all its nodes) and `digest` its trace
  // digest (Trace::digest, also computed once). `progress`, if given,
  // follows the request, and an abandoned request is not sent.
  Pending begin(std::size_t node, const lock::Command& command, LocalTime deadline,
                bool reconnect = true, std::string_view encoded = {},
                std::uint64_t digest = 0, RequestProgress* progress = nullptr) {
    const auto abandoned = [&] { return progress != nullptr && progress->abandoned; };
    LOCKLAB_ASSERT_LT(node, nodes.size());
    Pending p{.node = node};
    while (in_flight >= options.max_in_flight) {
      SimResult<void> w = slot_freed.wait(finite(deadline));
      if (!w && w.error() == SimError::killed) {
        p.failed = to_node_error(SimError::killed, false);
        return p;
      }
      if (!w && in_flight >= options.max_in_flight) {
        ++stats.no_slot;
        p.failed = lock::NodeError{lock::NodeErrorKind::no_slot, false,
                                   "no free request slot before the deadline"};
        return p;
      }
    }
    if (abandoned()) {
      p.failed = lock::NodeError{lock::NodeErrorKind::cancelled, false, "abandoned before it was sent"};
      return p;
    }
    ++in_flight;
    stats.peak_in_flight = std::max(stats.peak_in_flight, in_flight);
    p.slot.emplace(this);
    if (progress != nullptr) progress->stage = RequestStage::unsent;

    // An idle pooled connection the node closed or reset meanwhile (it was
    // killed, or restarted) is discarded before anything is sent on it, as
    // the production pool does: a request sent into a closed connection
    // could only be reported "maybe applied".
    const bool had_pooled = !idle[node].empty();
    discard_stale(node);
    if (had_pooled && idle[node].empty() && !reconnect) {
      p.stale = true;
      p.slot.reset();
      return p;
    }
    // A pooled connection may still break before the request is on it: if
    // the request could not even be sent, nothing reached the node, so it
    // goes once more on a fresh connection.
    const bool pooled = !idle[node].empty();
    for (int round = pooled ? 0 : 1; round < 2; ++round) {
      if (round == 0) {
        p.client = std::move(idle[node].back());
        idle[node].pop_back();
      } else {
        p.client = std::make_unique<redis::Client>(self, nodes[node].resolve);
        if (SimResult<void> opened = p.client->connect(deadline); !opened) {
          p.failed = to_node_error(opened.error(), false);
          return p;
        }
        ++stats.connections_opened;
      }
      if (abandoned()) {
        p.failed = lock::NodeError{lock::NodeErrorKind::cancelled, false, "abandoned before it was sent"};
        return p;
      }
      ++stats.requests;
      if (progress != nullptr) progress->stage = RequestStage::sent;  // it may reach the node
      SimResult<void> sent = encoded.empty() ? p.client->send(command, deadline)
                                             : p.client->send_encoded(encoded, digest, deadline);
      if (sent) return p;
      ++stats.connections_dropped;  // Client::send closed it: never reused
      const bool reached = p.client->last_request_sent();
      if (!reached && round == 0 && !reconnect && sent.error() != SimError::killed) {
        p.stale = true;
        p.slot.reset();
        return p;
      }
      if (reached || sent.error() == SimError::killed || round == 1) {
        p.failed = to_node_error(sent.error(), reached);
        return p;
      }
    }
    return p;
  }

  // Drops the idle connections to `node` that are no longer open.
  void discard_stale(std::size_t node) {
    auto& pool = idle[node];
    const auto stale = std::remove_if(pool.begin(), pool.end(), [](const auto& client) {
      return !client->idle_and_open();
    });
    stats.connections_dropped += static_cast<std::uint64_t>(pool.end() - stale);
    pool.erase(stale, pool.end());
  }

  // Waits for the reply to a request begun, keeping the connection and the
  // slot with `p` (a fallback may still go out on it); a failed request has
  // given both up.
  lock::NodeResult take_reply(Pending& p, LocalTime deadline) {
    if (p.failed) return std::unexpected(std::move(*p.failed));
    SimResult<redis::Reply> reply = p.client->receive(deadline);
    if (!reply) {
      p.slot.reset();
      ++stats.connections_dropped;  // Client::receive closed it: never reused
      return std::unexpected(to_node_error(reply.error(), true));
    }
    return std::move(*reply);  // the simulated node's Reply is the lock's Reply
  }

  // Sends `fallback` on the connection that answered NOSCRIPT. False (and
  // `result` the error) when it could not be sent.
  bool send_fallback(Pending& p, const lock::Command& fallback, LocalTime deadline,
                     lock::NodeResult& result) {
    LOCKLAB_ASSERT(lock::is_noscript(result), "a fallback answers only NOSCRIPT");
    ++stats.requests;
    SimResult<void> sent = p.client->send(fallback, deadline);
    if (sent) return true;
    p.slot.reset();
    ++stats.connections_dropped;  // Client::send closed it: never reused
    result = std::unexpected(to_node_error(sent.error(), p.client->last_request_sent()));
    return false;
  }

  // The request is over: its slot is free, and its connection goes back to
  // the pool only after a reply other than READONLY. READONLY means the
  // connection reached a replica — after a failover, the demoted master — and
  // only a new connection resolves the node's logical name again (as a
  // Sentinel-aware client reconnects on READONLY); pooled, the connection
  // would keep every later request on that replica for good.
  void settle(Pending& p, const lock::NodeResult& result) {
    p.slot.reset();
    if (!result || p.client == nullptr) return;
    if (lock::redis_error_of(result) == lock::RedisErrorKind::readonly) {
      ++stats.connections_dropped;
      p.client->disconnect();
      return;
    }
    idle[p.node].push_back(std::move(p.client));
  }

  lock::NodeResult finish(Pending& p, LocalTime deadline, const lock::Command& fallback) {
    lock::NodeResult r = take_reply(p, deadline);
    if (!fallback.empty() && lock::is_noscript(r)) {
      if (!send_fallback(p, fallback, deadline, r)) return r;
      r = take_reply(p, deadline);
    }
    settle(p, r);
    return r;
  }

  lock::NodeResult request(std::size_t node, const lock::Command& command, LocalTime deadline,
                           const lock::Command& fallback = lock::no_fallback(),
                           RequestProgress* progress = nullptr) {
    Pending p = begin(node, command, deadline, true, {}, 0, progress);
    return finish(p, deadline, fallback);
  }

  // Whether fan_out may send every request from the calling fiber before
  // awaiting any reply: each needs an open pooled connection (opening one is
  // a round trip that must not be paid node after node) and a free slot.
  bool can_pipeline(std::span<const std::size_t> targets) const {
    if (in_flight + targets.size() > options.max_in_flight) return false;
    // Counted in place (no vector per call): a fan-out lists a handful of nodes.
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const std::size_t node = targets[i];
      if (node >= nodes.size()) return false;
      const auto wanted = static_cast<std::size_t>(
          std::count(targets.begin(), targets.begin() + static_cast<std::ptrdiff_t>(i) + 1, node));
      if (wanted > idle[node].size()) return false;
    }
    return true;
  }
};

LockBackend::LockBackend(Process& self, std::vector<ProcessId> nodes, LockBackendOptions options)
    : self_(self) {
  std::vector<LockNode> named;
  for (ProcessId id : nodes) {
    named.push_back({self.world().process(id).name(), [id] { return id; }});
  }
  core_ = std::make_shared<Core>(self, std::move(named), options);
}

LockBackend::LockBackend(Process& self, std::vector<LockNode> nodes, LockBackendOptions options)
    : self_(self), core_(std::make_shared<Core>(self, std::move(nodes), options)) {
  LOCKLAB_ASSERT(core_->options.max_in_flight > 0, "max_in_flight must be positive");
}

std::size_t LockBackend::node_count() const { return core_->nodes.size(); }
std::string LockBackend::node_name(std::size_t node) const { return core_->nodes.at(node).name; }
const LockBackendStats& LockBackend::stats() const { return core_->stats; }
std::size_t LockBackend::in_flight() const { return core_->in_flight; }

bool LockBackend::sleep_until(time_point t, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  if (!stop.stop_possible()) return self_.sleep_until(t).has_value();
  Signal woken(self_);
  const auto notify = [&woken] { woken.notify_all(); };
  std::stop_callback<decltype(notify)> on_stop(stop, notify);
  while (!stop.stop_requested()) {
    SimResult<void> r = woken.wait(finite(t));
    if (!r) return r.error() == SimError::timed_out;
  }
  return false;
}

lock::WaitStatus LockBackend::Event::wait_until(time_point deadline, std::stop_token stop) {
  const auto notify = [this] { signal_.notify_all(); };
  std::optional<std::stop_callback<decltype(notify)>> on_stop;
  if (stop.stop_possible()) on_stop.emplace(stop, notify);
  for (;;) {
    if (set_) return lock::WaitStatus::signalled;
    if (stop.stop_requested()) return lock::WaitStatus::cancelled;
    SimResult<void> r = signal_.wait(finite(deadline));
    if (!r) {
      if (set_) return lock::WaitStatus::signalled;
      return r.error() == SimError::timed_out ? lock::WaitStatus::timed_out
                                              : lock::WaitStatus::cancelled;  // killed, quietly
    }
  }
}

namespace {

// A spawned task with what it keeps alive: the task goes first (members are
// destroyed in reverse order), then the core (pools, slots: a call the task
// unwinds out of gives back a slot), then the owner.
struct OwnedTask {
  std::shared_ptr<void> owner;
  std::shared_ptr<void> core;
  std::function<void()> task;

  void operator()() const { task(); }
};

}  // namespace

bool LockBackend::spawn(std::string_view name, std::function<void()> task) {
  return self_.spawn(std::string(name), OwnedTask{owner_.lock(), core_, std::move(task)});
}

lock::NodeResult LockBackend::call(std::size_t node, const lock::Command& command,
                                   time_point deadline, std::stop_token stop) {
  if (stop.stop_requested()) {
    return std::unexpected(lock::NodeError{lock::NodeErrorKind::cancelled, false, "cancelled"});
  }
  // Without a stop token to watch, the request runs on the caller's fiber.
  if (!stop.stop_possible()) return core_->request(node, command, deadline);
  const std::size_t one[] = {node};
  return std::move(fan_out(one, command, deadline, stop).front());
}

namespace {

struct FanOutState {
  explicit FanOutState(Process& p, std::size_t n)
      : results(n), progress(n), arrived_signal(p) {}
  std::vector<std::optional<lock::NodeResult>> results;
  std::vector<RequestProgress> progress;
  std::deque<std::size_t> arrived;
  std::size_t outstanding = 0;
  Signal arrived_signal;
};

}  // namespace

std::vector<lock::NodeResult> LockBackend::fan_out(std::span<const std::size_t> nodes,
                                                   const lock::Command& command,
                                                   time_point deadline, std::stop_token stop,
                                                   const lock::ReplyObserver& on_reply,
                                                   const lock::Command& fallback) {
  if (nodes.empty()) return {};
  if (core_->options.fan_out == lock::FanOutMode::sequential && nodes.size() > 1) {
    const auto expired = [&] { return now() >= deadline; };
    std::vector<lock::NodeResult> out =
        lock::detail::sequential_fan_out(nodes, stop, on_reply, expired, [&](std::size_t node) {
          const std::size_t only[] = {node};
          return std::move(parallel(only, command, deadline, stop, {}, fallback).front());
        });
    LOCKLAB_ASSERT_EQ(out.size(), nodes.size());
    return out;
  }
  std::vector<lock::NodeResult> out = parallel(nodes, command, deadline, stop, on_reply, fallback);
  LOCKLAB_ASSERT_EQ(out.size(), nodes.size());
  return out;
}

std::vector<lock::NodeResult> LockBackend::parallel(std::span<const std::size_t> nodes,
                                                    const lock::Command& command, time_point deadline,
                                                    std::stop_token stop, const lock::ReplyObserver& on_reply,
                                                    const lock::Command& fallback) {
  return !stop.stop_possible() && !on_reply && core_->can_pipeline(nodes)
             ? pipelined(nodes, command, deadline, fallback)
             : on_fibers(nodes, command, deadline, stop, on_reply, fallback);
}

// Every request sent before any reply is awaited, from the calling fiber: the
// replies travel in parallel, so this costs the slowest node's latency without
// a fiber per request. Replies are taken in request order, which is why it
// serves only callers that watch neither replies nor a stop token. Requests
// whose pooled connection had broken go out again on fibers of their own, in
// parallel with the replies already on their way. A NOSCRIPT reply's
// fallback goes out as soon as that reply is taken, and the fallbacks'
// replies are taken after every first reply, so they too travel in parallel.
std::vector<lock::NodeResult> LockBackend::pipelined(std::span<const std::size_t> nodes,
                                                     const lock::Command& command,
                                                     time_point deadline,
                                                     const lock::Command& fallback) {
  // Inline for the usual handful of nodes: no allocation per fan-out.
  boost::container::small_vector<Core::Pending, 5> pending;
  pending.reserve(nodes.size());
  std::vector<std::size_t> resend;  // nodes
  std::vector<std::size_t> resent_at;
  // The same bytes go to every node: encoded once (one node: encoded as usual).
  std::string encoded;
  std::uint64_t digest = 0;
  if (nodes.size() > 1) {
    redis::encode_command(command, encoded);
    digest = Trace::digest(encoded);
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    pending.push_back(core_->begin(nodes[i], command, deadline, false, encoded, digest));
    if (pending.back().stale) {
      resend.push_back(nodes[i]);
      resent_at.push_back(i);
    }
  }
  std::vector<lock::NodeResult> out(nodes.size());
  if (!resend.empty()) {
    std::vector<lock::NodeResult> again = on_fibers(resend, command, deadline, {}, {}, fallback);
    for (std::size_t j = 0; j < again.size(); ++j) out[resent_at[j]] = std::move(again[j]);
  }
  boost::container::small_vector<bool, 5> fell_back(pending.size(), false);
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].stale) continue;
    out[i] = core_->take_reply(pending[i], deadline);
    if (!fallback.empty() && lock::is_noscript(out[i])) {
      fell_back[i] = core_->send_fallback(pending[i], fallback, deadline, out[i]);
      if (fell_back[i]) continue;
    }
    core_->settle(pending[i], out[i]);
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (!fell_back[i]) continue;
    out[i] = core_->take_reply(pending[i], deadline);
    core_->settle(pending[i], out[i]);
  }
  return out;
}

std::vector<lock::NodeResult> LockBackend::on_fibers(std::span<const std::size_t> nodes,
                                                     const lock::Command& command,
                                                     time_point deadline, std::stop_token stop,
                                                     const lock::ReplyObserver& on_reply,
                                                     const lock::Command& fallback) {
  std::vector<lock::NodeResult> out;
  auto state = std::make_shared<FanOutState>(self_, nodes.size());
  state->outstanding = nodes.size();
  // One copy of the arguments (a Command only views the caller's strings)
  // for all the request fibers: they may outlive this call.
  auto shared = std::make_shared<const redis::Argv>(command.begin(), command.end());
  std::shared_ptr<const redis::Argv> shared_fallback;  // none: no allocation
  if (!fallback.empty()) {
    shared_fallback = std::make_shared<const redis::Argv>(fallback.begin(), fallback.end());
  }
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const bool started = self_.spawn("lock-request", [core = core_, state, i, node = nodes[i], shared,
                                       shared_fallback, deadline] {
      const lock::Command views(shared->begin(), shared->end());
      lock::Command fallback_views;
      if (shared_fallback) fallback_views.assign(shared_fallback->begin(), shared_fallback->end());
      lock::NodeResult r = core->request(node, views, deadline, fallback_views, &state->progress[i]);
      state->results[i] = std::move(r);
      state->arrived.push_back(i);
      --state->outstanding;
      state->arrived_signal.notify_all();
    });
    if (!started) {  // killed, inside a NoThrowScope: this request never went out
      state->results[i] = std::unexpected(to_node_error(SimError::killed, false));
      --state->outstanding;
    }
  }

  const auto notify = [&state] { state->arrived_signal.notify_all(); };
  std::optional<std::stop_callback<decltype(notify)>> on_stop;
  if (stop.stop_possible()) on_stop.emplace(stop, notify);
  bool done = false;
  bool observer_stopped = false;
  while (!done) {
    while (!done && !state->arrived.empty()) {
      const std::size_t i = state->arrived.front();
      state->arrived.pop_front();
      if (on_reply && !on_reply(i, *state->results[i])) {
        done = true;  // no more calls after false
        observer_stopped = true;
      }
    }
    if (done || state->outstanding == 0 || stop.stop_requested()) break;
    SimResult<void> w = state->arrived_signal.wait(finite(deadline));
    if (!w && w.error() != SimError::timed_out) break;  // killed, inside a NoThrowScope
    if (!w) done = state->arrived.empty();  // the deadline: take what arrived with it
  }

  // A request still out when the wait ends may have been applied only if it
  // was sent; one not yet sent is abandoned (never sent), and one still
  // waiting for a slot at the deadline is no_slot — as the production
  // backend reports them.
  const bool cancelled = stop.stop_requested();
  out.reserve(nodes.size());
  for (std::size_t i = 0; i < state->results.size(); ++i) {
    if (state->results[i]) {
      out.push_back(std::move(*state->results[i]));
      continue;
    }
    const RequestStage at = state->progress[i].stage;
    const bool sent = at == RequestStage::sent;
    state->progress[i].abandoned = !sent;
    if (cancelled) {
      out.push_back(std::unexpected(lock::NodeError{lock::NodeErrorKind::cancelled, sent,
                                                    sent ? "cancelled while the request was out"
                                                         : "cancelled before the request was sent"}));
    } else if (observer_stopped) {
      out.push_back(std::unexpected(
          sent ? lock::NodeError{lock::NodeErrorKind::timed_out, true, "not awaited: on_reply stopped the wait"}
               : lock::NodeError{lock::NodeErrorKind::cancelled, false,
                                 "not sent: on_reply stopped the wait"}));
    } else if (at == RequestStage::waiting_for_slot) {
      out.push_back(std::unexpected(lock::NodeError{lock::NodeErrorKind::no_slot, false,
                                                    "no free request slot before the deadline"}));
    } else {
      out.push_back(std::unexpected(lock::NodeError{lock::NodeErrorKind::timed_out, sent,
                                                    sent ? "no reply by the deadline"
                                                         : "not sent by the deadline"}));
    }
  }
  return out;
}

}  // namespace locklab::sim
