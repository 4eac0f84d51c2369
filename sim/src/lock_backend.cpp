#include "locklab/sim/lock_backend.hpp"

#include <algorithm>
#include <deque>

#include "locklab/assert.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

std::optional<LocalTime> finite(LocalTime t) {
  if (t == LocalTime::max()) return std::nullopt;
  return t;
}

lock::Reply to_lock_reply(const redis::Reply& r) {
  switch (r.type) {
    case redis::ReplyType::status: return lock::Reply::status(r.str);
    case redis::ReplyType::error: return lock::Reply::error(r.str);
    case redis::ReplyType::integer: return lock::Reply::integer_reply(r.integer);
    case redis::ReplyType::bulk: return lock::Reply::bulk(r.str);
    case redis::ReplyType::nil: return lock::Reply::nil();
    case redis::ReplyType::array: {
      lock::Reply out{lock::ReplyType::array, {}, 0, {}};
      out.elements.reserve(r.elements.size());
      for (const redis::Reply& e : r.elements) out.elements.push_back(to_lock_reply(e));
      return out;
    }
  }
  return lock::Reply::nil();
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

  // Gives a slot back even when the request unwinds (a kill).
  struct Slot {
    Core& core;
    ~Slot() {
      --core.in_flight;
      core.slot_freed.notify_one();
    }
  };

  lock::NodeResult request(std::size_t node, const lock::Command& command, LocalTime deadline) {
    LOCKLAB_ASSERT_LT(node, nodes.size());
    while (in_flight >= options.max_in_flight) {
      SimResult<void> w = slot_freed.wait(finite(deadline));
      if (!w && w.error() == SimError::killed) return std::unexpected(to_node_error(SimError::killed, false));
      if (!w && in_flight >= options.max_in_flight) {
        ++stats.no_slot;
        return std::unexpected(lock::NodeError{lock::NodeErrorKind::no_slot, false,
                                               "no free request slot before the deadline"});
      }
    }
    ++in_flight;
    stats.peak_in_flight = std::max(stats.peak_in_flight, in_flight);
    const Slot slot{*this};

    // A pooled connection may have broken while idle (the node restarted):
    // if the request could not even be sent on it, nothing reached the node,
    // so it goes once more on a fresh connection.
    const bool pooled = !idle[node].empty();
    SimResult<redis::Reply> reply = std::unexpected(SimError::connection_closed);
    bool sent = false;
    for (int round = pooled ? 0 : 1; round < 2; ++round) {
      std::unique_ptr<redis::Client> client;
      if (round == 0) {
        client = std::move(idle[node].back());
        idle[node].pop_back();
      } else {
        client = std::make_unique<redis::Client>(self, nodes[node].resolve);
        if (SimResult<void> opened = client->connect(deadline); !opened) {
          return std::unexpected(to_node_error(opened.error(), false));
        }
        ++stats.connections_opened;
      }
      ++stats.requests;
      reply = client->call(command, deadline);
      sent = client->last_request_sent();
      if (reply) {
        idle[node].push_back(std::move(client));
        return to_lock_reply(*reply);
      }
      ++stats.connections_dropped;  // Client::call closed it: never reused
      if (sent || reply.error() == SimError::killed) break;
    }
    return std::unexpected(to_node_error(reply.error(), sent));
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

void LockBackend::spawn(std::string_view name, std::function<void()> task) {
  self_.spawn(std::string(name), std::move(task));
}

lock::NodeResult LockBackend::call(std::size_t node, const lock::Command& command,
                                   time_point deadline, std::stop_token stop) {
  if (stop.stop_requested()) {
    return std::unexpected(lock::NodeError{lock::NodeErrorKind::cancelled, false, "cancelled"});
  }
  // Without a stop token to watch, the request runs on the caller's fiber.
  if (!stop.stop_possible()) return core_->request(node, command, deadline);
  const lock::NodeRequest one[] = {{node, command}};
  return std::move(fan_out(one, deadline, stop).front());
}

namespace {

struct FanOutState {
  explicit FanOutState(Process& p, std::size_t n) : results(n), arrived_signal(p) {}
  std::vector<std::optional<lock::NodeResult>> results;
  std::deque<std::size_t> arrived;
  std::size_t outstanding = 0;
  Signal arrived_signal;
};

}  // namespace

std::vector<lock::NodeResult> LockBackend::fan_out(std::span<const lock::NodeRequest> requests,
                                                   time_point deadline, std::stop_token stop,
                                                   const lock::ReplyObserver& on_reply) {
  std::vector<lock::NodeResult> out;
  if (requests.empty()) return out;
  if (requests.size() == 1 && !stop.stop_possible() && !on_reply) {
    out.push_back(core_->request(requests[0].node, requests[0].command, deadline));
    return out;
  }

  auto state = std::make_shared<FanOutState>(self_, requests.size());
  state->outstanding = requests.size();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    self_.spawn("lock-request", [core = core_, state, i, node = requests[i].node,
                                 command = requests[i].command, deadline] {
      lock::NodeResult r = core->request(node, command, deadline);
      state->results[i] = std::move(r);
      state->arrived.push_back(i);
      --state->outstanding;
      state->arrived_signal.notify_all();
    });
  }

  const auto notify = [&state] { state->arrived_signal.notify_all(); };
  std::optional<std::stop_callback<decltype(notify)>> on_stop;
  if (stop.stop_possible()) on_stop.emplace(stop, notify);
  bool done = false;
  while (!done) {
    while (!state->arrived.empty()) {
      const std::size_t i = state->arrived.front();
      state->arrived.pop_front();
      if (on_reply && !on_reply(i, *state->results[i])) done = true;
    }
    if (done || state->outstanding == 0 || stop.stop_requested()) break;
    SimResult<void> w = state->arrived_signal.wait(finite(deadline));
    if (!w && w.error() != SimError::timed_out) break;  // killed, inside a NoThrowScope
    if (!w) done = state->arrived.empty();  // the deadline: take what arrived with it
  }

  const bool cancelled = stop.stop_requested();
  out.reserve(requests.size());
  for (std::optional<lock::NodeResult>& r : state->results) {
    if (r) {
      out.push_back(std::move(*r));
    } else {
      out.push_back(std::unexpected(lock::NodeError{
          cancelled ? lock::NodeErrorKind::cancelled : lock::NodeErrorKind::timed_out, true,
          cancelled ? "cancelled while the request was out" : "no reply by the deadline"}));
    }
  }
  return out;
}

}  // namespace locklab::sim
