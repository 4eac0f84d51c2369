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
// Options. `renew_before` sets when each renewal goes out (that much
// validity left; default a third of the TTL), `max_renewals` caps them: after
// the last one the lease runs to its end, where the loss is reported as
// `lost`. `on_renewing` and `on_renewed` let the holder observe each renewal
// (a history, a metric); they run on the watchdog task, outside the mutex,
// under the same rules as `on_lost`.
//
// If the backend cannot start the watchdog (it is shutting down), or the
// options are not usable (renew_before not inside (0, ttl), a negative
// max_renewals), the extender starts `stopped`: the lease stays valid to its
// current end and is never renewed; detail() says why. Check state() after
// constructing when that matters.
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
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

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

  struct Options {
    // Renew when this much validity is left on the holder's clock; unset: a
    // third of the lease's TTL.
    std::optional<std::chrono::milliseconds> renew_before{};
    // Renew at most this many times; unset: without limit.
    std::optional<int> max_renewals{};
    // Just before each renewal is sent, with the lease it renews (whose
    // validity end is the renewal's deadline), and with its result after.
    std::function<void(const LeaseType&)> on_renewing{};
    std::function<void(const ExtendResult&, const LeaseType&)> on_renewed{};
  };

  AutoExtender(Lock& lock, LeaseType lease, Callback on_lost = {}, Options options = {})
      : lock_(lock), shared_(std::make_shared<Shared>(lock.backend(), std::move(lease),
                                                      std::move(on_lost), std::move(options))) {
    std::string unusable = options_problem(shared_->lease, shared_->options);
    const bool started =
        unusable.empty() &&
        lock_.backend().spawn("auto-extend", [&lock = lock_, s = shared_] { run(lock, *s); });
    if (!started) {
      std::lock_guard guard(shared_->mutex);
      shared_->state = ExtenderState::stopped;
      shared_->detail = unusable.empty() ? "the backend could not start the watchdog" : std::move(unusable);
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
  // Why the extender started stopped; empty when it started.
  std::string detail() const {
    std::lock_guard guard(shared_->mutex);
    return shared_->detail;
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
    Shared(BackendType& b, LeaseType l, Callback c, Options o)
        : lease(std::move(l)), on_lost(std::move(c)), options(std::move(o)), done(b) {}
    mutable typename BackendType::Mutex mutex;  // guards lease, state, renewals, detail
    LeaseType lease;
    ExtenderState state = ExtenderState::holding;
    int renewals = 0;
    std::string detail;
    const Callback on_lost;  // read by the watchdog only
    const Options options;   // read by the watchdog, and by the constructor before it starts
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
    using duration = typename BackendType::duration;
    const duration before = s.options.renew_before
                                ? std::chrono::duration_cast<duration>(*s.options.renew_before)
                                : std::chrono::duration_cast<duration>(mine.ttl) / 3;
    const int limit = s.options.max_renewals.value_or(std::numeric_limits<int>::max());
    std::optional<Outcome> lost;
    int renewed = 0;
    while (!s.stop.stop_requested() && renewed < limit) {
      if (!backend.sleep_until(mine.validity_end - before, s.stop.get_token())) break;
      if (s.options.on_renewing) s.options.on_renewing(mine);
      ExtendResult r = lock.extend(mine, mine.validity_end, s.stop.get_token());
      if (s.options.on_renewed) s.options.on_renewed(r, mine);
      if (r.extended()) {
        std::lock_guard guard(s.mutex);
        s.lease.validity_end = mine.validity_end;
        s.lease.nodes = mine.nodes;
        s.renewals = ++renewed;
      } else if (r.outcome != Outcome::cancelled) {
        lost = r.outcome;
        break;
      }
    }
    // Out of renewals: the lease runs to its end, and is lost there.
    if (!lost && renewed == limit && backend.sleep_until(mine.validity_end, s.stop.get_token())) {
      lost = Outcome::lost;
    }
    if (lost) {
      {
        std::lock_guard guard(s.mutex);
        s.state = ExtenderState::lost;
      }
      if (s.on_lost) s.on_lost(*lost);
    }
  }

  static std::string options_problem(const LeaseType& lease, const Options& o) {
    if (o.renew_before && (o.renew_before->count() <= 0 || *o.renew_before >= lease.ttl)) {
      return "renew_before must be more than 0 and less than the lease's TTL";
    }
    if (o.max_renewals && *o.max_renewals < 0) return "max_renewals must not be negative";
    return {};
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
