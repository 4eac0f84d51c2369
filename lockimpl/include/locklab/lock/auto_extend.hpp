// locklab/lock/auto_extend.hpp — a watchdog that keeps a lease alive.
//
// Provides AutoExtender<Lock>: a task (backend.spawn) that renews a held
// lease whenever a third of its TTL is left on the holder's clock, until
// stopped. When a renewal fails (no quorum, or the task woke too late: the
// lease had already expired, as after a long pause) or the lease ends, the
// holder is told twice over: the callback runs once, and state() turns
// `lost`. It never reports a lease it no longer holds: holding() and lease()
// also check the validity end against the clock at the moment they are
// asked, so a holder whose watchdog could not run (a paused process) sees
// the loss before the watchdog does.
//
// Threads. Every member may be called from any thread while the watchdog
// runs: the lease, the state and the renewal count live behind the backend's
// Mutex, and the watchdog renews a copy of the lease, publishing the new
// validity end and nodes only when a renewal succeeded. `on_lost` runs on
// the watchdog task, never under that mutex; it must not call stop(),
// release() or destroy the extender (each waits for the watchdog, which is
// the caller: it would wait for itself). stop(), release() and the
// destructor return only once the watchdog task has finished — its sleep
// wakes at the stop at once, and a renewal in flight is bounded by the
// lock's node timeout.
//
// If the backend cannot start the watchdog (it is shutting down), the
// extender starts `stopped`: the lease stays valid to its current end and is
// never renewed; check state() after constructing when that matters.
//
// The Lock must outlive the extender; the destructor stops the task and
// waits for it, without releasing the lease — release() does both.
//
//   lock::AutoExtender keep(lock, std::move(*got.lease),
//                           [&](lock::Outcome why) { abort_work(why); });
//   while (keep.holding()) do_some_work();
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "locklab/assert.hpp"
#include "locklab/lock/backend.hpp"
#include "locklab/lock/outcome.hpp"

namespace locklab::lock {

enum class ExtenderState : std::uint8_t { holding, lost, stopped };

template <typename Lock>
class AutoExtender {
 public:
  using LeaseType = typename Lock::LeaseType;
  using BackendType = std::remove_reference_t<decltype(std::declval<Lock&>().backend())>;
  using Callback = std::function<void(Outcome why)>;

  AutoExtender(Lock& lock, LeaseType lease, Callback on_lost = {})
      : lock_(lock), shared_(std::make_shared<Shared>(lock.backend(), std::move(lease),
                                                      std::move(on_lost))) {
    const bool started =
        lock_.backend().spawn("auto-extend", [&lock = lock_, s = shared_] { run(lock, *s); });
    if (!started) {
      std::lock_guard guard(shared_->mutex);
      shared_->state = ExtenderState::stopped;
      shared_->done.set();  // nothing to wait for
    }
  }
  AutoExtender(const AutoExtender&) = delete;
  AutoExtender& operator=(const AutoExtender&) = delete;
  ~AutoExtender() {
    typename BackendType::NoThrowScope quiet(lock_.backend());
    stop_and_wait();
  }

  ExtenderState state() const {
    const auto now = lock_.backend().now();
    std::lock_guard guard(shared_->mutex);
    if (shared_->state == ExtenderState::holding && !shared_->lease.valid_at(now)) {
      return ExtenderState::lost;
    }
    return shared_->state;
  }
  bool holding() const { return state() == ExtenderState::holding; }
  // The current lease (its validity end moves with each renewal) while it is
  // valid on this clock: renewed, or stopped but not yet at its end.
  std::optional<LeaseType> lease() const {
    const auto now = lock_.backend().now();
    std::lock_guard guard(shared_->mutex);
    if (shared_->state == ExtenderState::lost || !shared_->lease.valid_at(now)) return std::nullopt;
    return shared_->lease;
  }
  int renewals() const {
    std::lock_guard guard(shared_->mutex);
    return shared_->renewals;
  }

  // Stops renewing, once the watchdog has finished; the lease stays valid
  // until its current end.
  void stop() {
    stop_and_wait();
    std::lock_guard guard(shared_->mutex);
    if (shared_->state == ExtenderState::holding) shared_->state = ExtenderState::stopped;
  }

  // Stops renewing and releases the lease.
  ReleaseResult release() {
    stop();
    LeaseType lease = [&] {
      std::lock_guard guard(shared_->mutex);
      return shared_->lease;
    }();
    return lock_.release(lease);
  }

 private:
  struct Shared {
    Shared(BackendType& b, LeaseType l, Callback c)
        : lease(std::move(l)), on_lost(std::move(c)), done(b) {}
    mutable typename BackendType::Mutex mutex;  // guards lease, state, renewals
    LeaseType lease;
    ExtenderState state = ExtenderState::holding;
    int renewals = 0;
    const Callback on_lost;  // read by the watchdog only
    std::stop_source stop;   // thread-safe by itself
    typename BackendType::Event done;  // the watchdog has finished
  };

  // The watchdog: renews its own copy of the lease, publishes each renewal.
  static void run(Lock& lock, Shared& s) {
    // `done` is set however the task ends, a simulated kill's unwinding too.
    struct SetOnExit {
      typename BackendType::Event& event;
      ~SetOnExit() { event.set(); }
    } set_done_on_exit{s.done};
    auto& backend = lock.backend();
    LeaseType mine = [&] {
      std::lock_guard guard(s.mutex);
      return s.lease;
    }();
    const auto third = std::chrono::duration_cast<typename BackendType::duration>(mine.ttl) / 3;
    std::optional<Outcome> lost;
    while (!s.stop.stop_requested()) {
      if (!backend.sleep_until(mine.validity_end - third, s.stop.get_token())) break;
      ExtendResult r = lock.extend(mine, mine.validity_end, s.stop.get_token());
      if (r.extended()) {
        std::lock_guard guard(s.mutex);
        s.lease.validity_end = mine.validity_end;
        s.lease.nodes = mine.nodes;
        ++s.renewals;
      } else if (r.outcome != Outcome::cancelled) {
        lost = r.outcome;
        break;
      }
    }
    if (lost) {
      {
        std::lock_guard guard(s.mutex);
        s.state = ExtenderState::lost;
      }
      if (s.on_lost) s.on_lost(*lost);
    }
  }

  void stop_and_wait() {
    shared_->stop.request_stop();
    // No timeout: the watchdog's sleep wakes at the stop, and its renewal in
    // flight ends within the node timeout. `cancelled` only when the backend
    // unwinds this task (a killed simulated process), inside the NoThrowScope.
    (void)shared_->done.wait_until(BackendType::time_point::max(), std::stop_token{});
  }

  Lock& lock_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace locklab::lock
