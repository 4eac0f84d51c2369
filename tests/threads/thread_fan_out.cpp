// ThreadBackend: the requests — call, fan_out, the in-flight bound and the
// NOSCRIPT fallback. Each request runs on a thread of its own; the caller
// waits for the replies on its own thread and delivers them to on_reply.
#include <deque>
#include <optional>
#include <utility>

#include "locklab/assert.hpp"
#include "locklab/lock/redis_error.hpp"
#include "thread_backend.hpp"
#include "waiting.hpp"

namespace locklab::testing {

// One fan_out's state, shared by the caller and its request threads, which
// may outlive the call: it owns copies of everything they read.
struct detail::FanOut {
  using time_point = ThreadBackend::time_point;

  FanOut(std::span<const std::size_t> targets, const lock::Command& cmd,
         const lock::Command& fallback_cmd, time_point until)
      : nodes(targets.begin(), targets.end()),
        command(cmd.begin(), cmd.end()),
        fallback(fallback_cmd.begin(), fallback_cmd.end()),
        deadline(until),
        results(targets.size()),
        sent(targets.size(), false),
        starved(targets.size(), false) {}

  const std::vector<std::size_t> nodes;
  const std::vector<std::string> command;
  const std::vector<std::string> fallback;  // empty: none
  const time_point deadline;
  std::stop_source abandon;  // fired when the caller returns: unsent requests give up

  // Guarded by `mutex`. After `closed`, request threads write nothing here.
  std::mutex mutex;
  std::condition_variable_any arrived_cv;
  std::vector<std::optional<lock::NodeResult>> results;
  std::vector<bool> sent;     // the request left for the node
  std::vector<bool> starved;  // it found no free slot at first
  std::deque<std::size_t> arrived;
  bool closed = false;
};

namespace {

using lock::NodeError;
using lock::NodeErrorKind;
using detail::FanOut;

// Why the caller stopped waiting.
enum class Close : std::uint8_t { complete, early, deadline, stopped, shutdown };

lock::Command views_of(const std::vector<std::string>& strings) {
  return {strings.begin(), strings.end()};
}

NodeError killed() { return {NodeErrorKind::killed, false, "the backend shut down"}; }
NodeError no_slot() {
  return {NodeErrorKind::no_slot, false, "no free request slot before the deadline"};
}

// The error of an entry still without a reply when the caller returns (the
// table in thread_backend.hpp).
NodeError unanswered(Close why, bool sent, bool starved) {
  switch (why) {
    case Close::complete: break;
    case Close::early:
      if (sent) return {NodeErrorKind::timed_out, true, "not awaited: on_reply stopped the wait"};
      return {NodeErrorKind::cancelled, false, "not sent: on_reply stopped the wait"};
    case Close::deadline:
      if (sent) return {NodeErrorKind::timed_out, true, "no reply by the deadline"};
      if (starved) return no_slot();
      return {NodeErrorKind::timed_out, false, "not sent before the deadline"};
    case Close::stopped:
      return {NodeErrorKind::cancelled, sent,
              sent ? "cancelled while the request was out" : "cancelled before it was sent"};
    case Close::shutdown:
      return {NodeErrorKind::killed, sent, "the backend shut down"};
  }
  LOCKLAB_ASSERT(false, "an entry without a reply after every reply arrived");
  return {};
}

// Delivers replies to on_reply as they arrive, on this thread, until all have
// come, on_reply says stop, the deadline passes or `wake` fires. `lock` holds
// fan.mutex on entry and on return.
Close await_replies(FanOut& fan, std::unique_lock<std::mutex>& lock,
                    const detail::MergedStop& wake, const std::stop_token& shutdown,
                    const lock::ReplyObserver& on_reply) {
  for (std::size_t delivered = 0; delivered < fan.nodes.size(); ++delivered) {
    if (fan.arrived.empty() &&
        !detail::wait_until(fan.arrived_cv, lock, wake.token(), fan.deadline,
                            [&] { return !fan.arrived.empty(); })) {
      if (!wake.stop_requested()) return Close::deadline;
      return shutdown.stop_requested() ? Close::shutdown : Close::stopped;
    }
    const std::size_t i = fan.arrived.front();
    fan.arrived.pop_front();
    if (!on_reply) continue;
    // Unlocked: results[i] is final, and request threads write only other
    // entries (distinct objects) meanwhile.
    lock.unlock();
    const bool go_on = on_reply(i, *fan.results[i]);
    lock.lock();
    if (!go_on) return Close::early;
  }
  return Close::complete;
}

// Closes the fan-out (request threads post nothing more) and takes its
// results. `lock` holds fan.mutex.
std::vector<lock::NodeResult> close_and_collect(FanOut& fan, Close why) {
  fan.closed = true;
  std::vector<lock::NodeResult> out;
  out.reserve(fan.nodes.size());
  for (std::size_t i = 0; i < fan.nodes.size(); ++i) {
    if (fan.results[i]) {
      out.push_back(std::move(*fan.results[i]));
    } else {
      out.push_back(std::unexpected(unanswered(why, fan.sent[i], fan.starved[i])));
    }
  }
  return out;
}

}  // namespace

lock::NodeResult ThreadBackend::call(std::size_t node, const lock::Command& command,
                                     time_point deadline, std::stop_token stop) {
  const std::size_t one[] = {node};
  return std::move(fan_out(one, command, deadline, std::move(stop)).front());
}

std::vector<lock::NodeResult> ThreadBackend::fan_out(std::span<const std::size_t> nodes,
                                                     const lock::Command& command,
                                                     time_point deadline, std::stop_token stop,
                                                     const lock::ReplyObserver& on_reply,
                                                     const lock::Command& fallback) {
  for (std::size_t node : nodes) LOCKLAB_ASSERT_LT(node, node_count_);
  LOCKLAB_ASSERT(!command.empty(), "fan_out of an empty command");
  if (nodes.empty()) return {};
  const auto none_sent = [&](NodeError why) {
    return std::vector<lock::NodeResult>(nodes.size(), std::unexpected(std::move(why)));
  };
  if (stop.stop_requested()) {
    return none_sent({NodeErrorKind::cancelled, false, "cancelled before it was sent"});
  }
  if (shutting_down()) return none_sent(killed());
  if (clock::now() >= deadline) {
    return none_sent({NodeErrorKind::timed_out, false, "the deadline had passed: nothing sent"});
  }

  const auto fan = std::make_shared<FanOut>(nodes, command, fallback, deadline);
  // However this call ends (on_reply may throw), the request threads learn
  // that nobody waits any more.
  struct CloseOnExit {
    FanOut& fan;
    ~CloseOnExit() {
      {
        const std::lock_guard guard(fan.mutex);
        fan.closed = true;
      }
      fan.abandon.request_stop();
    }
  } close_on_exit{*fan};
  start_requests(fan);

  const detail::MergedStop wake(stop, shutdown_.get_token());
  std::unique_lock lock(fan->mutex);
  const Close why = await_replies(*fan, lock, wake, shutdown_.get_token(), on_reply);
  std::vector<lock::NodeResult> out = close_and_collect(*fan, why);
  for (const lock::NodeResult& r : out) {
    if (!r && r.error().kind == NodeErrorKind::no_slot) ++no_slot_;
  }
  return out;
}

// Every request that finds a free slot is committed to be sent before any
// reply is looked at, as a socket backend writes all its requests first: a
// fast reply that ends the wait early cannot keep the others from leaving.
void ThreadBackend::start_requests(const std::shared_ptr<FanOut>& fan) {
  for (std::size_t i = 0; i < fan->nodes.size(); ++i) {
    const bool has_slot = try_take_slot();
    {
      const std::lock_guard guard(fan->mutex);
      fan->sent[i] = has_slot;
      fan->starved[i] = !has_slot;
    }
    if (start_thread("lock-request", [this, fan, i, has_slot] { run_request(fan, i, has_slot); })) {
      continue;
    }
    if (has_slot) give_slot();
    const std::lock_guard guard(fan->mutex);  // never sent: shutting down, or no thread
    fan->sent[i] = false;
    fan->results[i] = std::unexpected(
        shutting_down() ? killed()
                        : NodeError{NodeErrorKind::no_slot, false, "could not start a thread"});
    fan->arrived.push_back(i);
  }
}

// The life of one request, on its own thread: a slot (unless the caller
// took one for it), the command (and the fallback), the reply posted to the
// caller unless it stopped waiting. A request that had its slot from the
// caller is sent whatever happens meanwhile: it has already "left".
void ThreadBackend::run_request(const std::shared_ptr<FanOut>& fan, std::size_t index,
                                bool has_slot) {
  std::optional<lock::NodeResult> result;
  if (has_slot || claim_late_slot(*fan, index, result)) {
    result = send(*fan, fan->nodes[index]);
    give_slot();
    // Shutdown tears the connections down (and cuts the fake's delays
    // short): whatever the node did, the caller gets no reply.
    if (shutting_down()) {
      result = std::unexpected(
          NodeError{NodeErrorKind::killed, true, "the backend shut down with the request out"});
    }
  }
  if (!result) return;  // the caller stopped waiting before it was sent
  {
    const std::lock_guard guard(fan->mutex);
    if (fan->closed) return;  // the caller already reported this entry
    fan->results[index] = std::move(*result);
    fan->arrived.push_back(index);
  }
  fan->arrived_cv.notify_all();
}

// For a request that found no free slot at first. True, holding a slot, when
// it may be sent; false with `failed` set, or left empty if nobody waits.
bool ThreadBackend::claim_late_slot(FanOut& fan, std::size_t index,
                                    std::optional<lock::NodeResult>& failed) {
  if (!wait_for_slot(fan)) {
    failed = std::unexpected(shutting_down() ? killed() : no_slot());
    return false;
  }
  {
    const std::lock_guard guard(fan.mutex);
    if (!fan.closed && clock::now() < fan.deadline) {
      fan.sent[index] = true;
      return true;
    }
    if (!fan.closed) {
      failed = std::unexpected(
          NodeError{NodeErrorKind::timed_out, false, "not sent before the deadline"});
    }
  }
  give_slot();
  return false;
}

bool ThreadBackend::try_take_slot() {
  const std::lock_guard guard(slots_mutex_);
  if (in_flight_ >= options_.max_in_flight) return false;
  raise_to(peak_in_flight_, ++in_flight_);
  return true;
}

// Waits for a free slot until the fan-out's deadline, its caller's return
// or shutdown.
bool ThreadBackend::wait_for_slot(FanOut& fan) {
  const detail::MergedStop wake(fan.abandon.get_token(), shutdown_.get_token());
  std::unique_lock lock(slots_mutex_);
  if (!detail::wait_until(slots_cv_, lock, wake.token(), fan.deadline,
                          [this] { return in_flight_ < options_.max_in_flight; })) {
    return false;
  }
  raise_to(peak_in_flight_, ++in_flight_);
  return true;
}

void ThreadBackend::give_slot() {
  {
    const std::lock_guard guard(slots_mutex_);
    LOCKLAB_ASSERT_GT(in_flight_, 0u);
    --in_flight_;
  }
  // All: a waiter woken alone might be giving up at that very moment.
  slots_cv_.notify_all();
}

// The command, and on NOSCRIPT the fallback on the same thread ("the same
// connection"), if the caller still waits and the deadline allows.
lock::NodeResult ThreadBackend::send(FanOut& fan, std::size_t node) {
  ++requests_;
  lock::NodeResult result = redis_.request(node, views_of(fan.command), shutdown_.get_token());
  if (fan.fallback.empty() || !lock::is_noscript(result)) return result;
  {
    const std::lock_guard guard(fan.mutex);
    if (fan.closed) return result;  // nobody waits: the fallback is not sent
  }
  if (clock::now() >= fan.deadline) {
    return std::unexpected(NodeError{NodeErrorKind::timed_out, false,
                                     "NOSCRIPT, and the deadline passed before the fallback"});
  }
  ++requests_;
  return redis_.request(node, views_of(fan.fallback), shutdown_.get_token());
}

}  // namespace locklab::testing
