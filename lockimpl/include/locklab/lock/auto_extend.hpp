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
// The Lock must outlive the extender; the destructor stops the task and
// waits for it to finish (bounded by the lock's node timeout), without
// releasing the lease — release() does both.
//
//   lock::AutoExtender keep(lock, std::move(*got.lease),
//                           [&](lock::Outcome why) { abort_work(why); });
//   while (keep.holding()) do_some_work();
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>

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
    lock_.backend().spawn("auto-extend", [&lock = lock_, s = shared_] { run(lock, *s); });
  }
  AutoExtender(const AutoExtender&) = delete;
  AutoExtender& operator=(const AutoExtender&) = delete;
  ~AutoExtender() {
    typename BackendType::NoThrowScope quiet(lock_.backend());
    stop_and_wait();
  }

  ExtenderState state() const {
    if (shared_->state == ExtenderState::holding && !shared_->lease.valid_at(lock_.backend().now())) {
      return ExtenderState::lost;
    }
    return shared_->state;
  }
  bool holding() const { return state() == ExtenderState::holding; }
  // The current lease (its validity end moves with each renewal) while it is
  // valid on this clock: renewed, or stopped but not yet at its end.
  std::optional<LeaseType> lease() const {
    if (state() == ExtenderState::lost) return std::nullopt;
    if (!shared_->lease.valid_at(lock_.backend().now())) return std::nullopt;
    return shared_->lease;
  }
  int renewals() const { return shared_->renewals; }

  // Stops renewing; the lease stays valid until its current end.
  void stop() {
    stop_and_wait();
    if (shared_->state == ExtenderState::holding) shared_->state = ExtenderState::stopped;
  }

  // Stops renewing and releases the lease.
  ReleaseResult release() {
    stop();
    return lock_.release(shared_->lease);
  }

 private:
  struct Shared {
    Shared(BackendType& b, LeaseType l, Callback c)
        : lease(std::move(l)), on_lost(std::move(c)), done(b) {}
    LeaseType lease;
    Callback on_lost;
    ExtenderState state = ExtenderState::holding;
    int renewals = 0;
    std::stop_source stop;
    typename BackendType::Event done;
  };

  static void run(Lock& lock, Shared& s) {
    auto& backend = lock.backend();
    const auto lose = [&](Outcome why) {
      s.state = ExtenderState::lost;
      if (s.on_lost) s.on_lost(why);
    };
    while (!s.stop.stop_requested()) {
      const auto third = std::chrono::duration_cast<typename BackendType::duration>(s.lease.ttl) / 3;
      if (!backend.sleep_until(s.lease.validity_end - third, s.stop.get_token())) break;
      ExtendResult r = lock.extend(s.lease, s.lease.validity_end, s.stop.get_token());
      if (r.extended()) {
        ++s.renewals;
      } else if (r.outcome != Outcome::cancelled) {
        lose(r.outcome);
        break;
      }
    }
    s.done.set();
  }

  void stop_and_wait() {
    shared_->stop.request_stop();
    (void)shared_->done.wait_until(lock_.backend().now() + lock_.options().node_timeout * 4,
                                   std::stop_token{});
  }

  Lock& lock_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace locklab::lock
