// locklab/lock/manager.hpp — one lock manager per process: local waiters
// queue, one contender per key goes to Redis.
//
// Provides LockManager<Lock>: lock(key, ttl, deadline) returns a Handle at
// once; handle.wait() yields the AcquireResult. Waiters of this process for
// the same key queue FIFO behind a single contender task, so a process never
// has two acquire attempts for one key in flight, and Redis sees one client
// per process per key. When the holder unlocks (or its lease ends on this
// clock), the contender releases the key in Redis and acquires it again for
// the next waiter. Only the handle that holds a lease can unlock it; another
// handle's unlock() is refused as `invalid`. If the process dies while
// holding, nothing is released: the key frees by its TTL.
//
// Giving up. A waiter gives up when its wait() deadline passes, its stop
// fires, or its Handle is destroyed before a result. From then on the
// handle never holds: if the contender's acquire was in flight and
// succeeds, the contender releases that grant at once (nobody will use it),
// and holds() stays false. A result that arrived before the give-up is the
// handle's, whatever wait() was about to decide.
//
// Threads. LockManager is thread-safe: lock() and queued() may be called
// from any thread, contenders for different keys run at once on one lock
// object, and all shared state lives behind the backend's Mutex. A Handle
// belongs to one thread at a time (move it to hand it over); its exchanges
// with the contender are synchronised. If the backend cannot start a
// contender task, the waiters of that key get `cancelled` at once and the
// key is not left wedged.
//
// Lifetime. The destructor stops every contender (queued waiters get
// `cancelled`, acquires in flight are stopped) and waits until each has
// finished, so no task outlives the manager. Handles may outlive it: a
// holding handle still unlocks (the Lock must outlive every handle); a
// lease held at destruction is not released by the manager.
//
//   lock::LockManager manager(redlock);
//   auto h = manager.lock("orders", 10s, backend.now() + 2s);
//   if (auto got = h.wait(); got) { work(); (void)h.unlock(); }
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "locklab/assert.hpp"
#include "locklab/lock/backend.hpp"
#include "locklab/lock/outcome.hpp"

namespace locklab::lock {

template <typename Lock>
class LockManager {
 public:
  using LeaseType = typename Lock::LeaseType;
  using time_point = typename LeaseType::TimePointType;
  using BackendType = std::remove_reference_t<decltype(std::declval<Lock&>().backend())>;
  using Result = AcquireResult<time_point>;

 private:
  struct Waiter {
    Waiter(BackendType& b, std::string k, std::chrono::milliseconds t, std::optional<time_point> d)
        : key(std::move(k)), ttl(t), deadline(d), ready(b), finished(b) {}
    const std::string key;
    const std::chrono::milliseconds ttl;
    const std::optional<time_point> deadline;
    std::stop_source cancel;               // stops the acquire in flight
    typename BackendType::Event ready;     // `result` is set
    typename BackendType::Event finished;  // unlocked, given up, or the manager stops
    // Guarded by Core::mutex.
    std::optional<Result> result;           // the contender's, for the handle
    std::optional<Result> given_up;         // what wait() answered when it gave up
    bool unlocked = false;
  };

  struct Queue {
    std::deque<std::shared_ptr<Waiter>> waiters;
    std::shared_ptr<Waiter> serving;  // the waiter the contender works for
    bool contender = false;
  };

  struct Core {
    explicit Core(Lock& l) : lock(l), idle(l.backend()) {}
    Lock& lock;
    mutable typename BackendType::Mutex mutex;
    // Guarded by `mutex`.
    std::map<std::string, Queue> queues;
    std::size_t contenders = 0;
    bool shutting_down = false;
    typename BackendType::Event idle;  // set when shutting down and no contender is left

    // Whether `w` holds the lock now; call with `mutex` held.
    static bool holds(const Waiter& w) { return w.result && w.result->acquired() && !w.unlocked; }
  };

  // A result that never reached Redis: given up, refused, or skipped.
  static Result unserved(Outcome outcome, std::string detail) {
    return Result{.outcome = outcome, .lease = {}, .nodes = {}, .attempts = 0,
                  .detail = std::move(detail)};
  }

 public:
  class [[nodiscard]] Handle {
   public:
    Handle(Handle&& other) noexcept = default;
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    ~Handle() {
      if (!waiter_) return;
      typename BackendType::NoThrowScope quiet(core_->lock.backend());
      bool holding = false;
      {
        std::lock_guard guard(core_->mutex);
        holding = Core::holds(*waiter_);
        if (!waiter_->result && !waiter_->given_up) {
          waiter_->given_up = unserved(Outcome::cancelled, "the handle was destroyed");
        }
      }
      if (holding) {
        (void)unlock();
      } else {
        waiter_->cancel.request_stop();
        waiter_->finished.set();
      }
    }

    // Blocks until the result is known, at the latest until the request's
    // deadline (or `stop` fires): then the place in the queue is given up and
    // the result is timed_out (cancelled). Asked again, it answers the same.
    Result wait(std::stop_token stop = {}) {
      {
        std::lock_guard guard(core_->mutex);
        if (waiter_->result) return *waiter_->result;
        if (waiter_->given_up) return *waiter_->given_up;
      }
      const WaitStatus s =
          waiter_->ready.wait_until(waiter_->deadline.value_or(time_point::max()), stop);
      {
        std::lock_guard guard(core_->mutex);
        if (waiter_->result) return *waiter_->result;  // it came, even if just now
        LOCKLAB_ASSERT(s != WaitStatus::signalled, "ready without a result");
        waiter_->given_up =
            s == WaitStatus::timed_out
                ? unserved(Outcome::timed_out, "the deadline passed while queued")
                : unserved(Outcome::cancelled, "stopped while waiting");
      }
      waiter_->cancel.request_stop();
      waiter_->finished.set();
      std::lock_guard guard(core_->mutex);
      return *waiter_->given_up;
    }
    bool ready() const { return waiter_->ready.is_set(); }
    // Waits until the result is known or `t` passes, keeping its place in
    // the queue (unlike wait(), it never gives up): true when the result is
    // there, which wait() then returns at once.
    bool ready_by(time_point t) const {
      return waiter_->ready.wait_until(t, std::stop_token{}) == WaitStatus::signalled || ready();
    }
    bool holds() const {
      std::lock_guard guard(core_->mutex);
      return Core::holds(*waiter_);
    }

    // Releases the lock in Redis; only the holding handle may.
    ReleaseResult unlock() {
      std::optional<LeaseType> lease;
      {
        std::lock_guard guard(core_->mutex);
        if (!Core::holds(*waiter_)) {
          return {.outcome = Outcome::invalid, .nodes = {},
                  .detail = "this handle does not hold the lock"};
        }
        waiter_->unlocked = true;
        lease = waiter_->result->lease;
      }
      LOCKLAB_ASSERT(lease.has_value(), "an acquired result without a lease");
      ReleaseResult r = core_->lock.release(*lease);
      waiter_->finished.set();
      return r;
    }

   private:
    friend class LockManager;
    Handle(std::shared_ptr<Core> core, std::shared_ptr<Waiter> w)
        : core_(std::move(core)), waiter_(std::move(w)) {}
    std::shared_ptr<Core> core_;
    std::shared_ptr<Waiter> waiter_;
  };

  explicit LockManager(Lock& lock) : core_(std::make_shared<Core>(lock)) {}
  LockManager(const LockManager&) = delete;
  LockManager& operator=(const LockManager&) = delete;

  ~LockManager() {
    typename BackendType::NoThrowScope quiet(core_->lock.backend());
    std::vector<std::shared_ptr<Waiter>> to_stop;
    bool wait = false;
    {
      std::lock_guard guard(core_->mutex);
      core_->shutting_down = true;
      for (auto& [key, q] : core_->queues) {
        to_stop.insert(to_stop.end(), q.waiters.begin(), q.waiters.end());
        if (q.serving) to_stop.push_back(q.serving);
      }
      wait = core_->contenders > 0;
    }
    // Outside the mutex: a stop runs its callbacks at once, on this thread.
    for (const std::shared_ptr<Waiter>& w : to_stop) {
      w->cancel.request_stop();
      w->finished.set();
    }
    // `cancelled` only when the backend unwinds this task (a killed
    // simulated process, whose contenders die with it).
    if (wait) (void)core_->idle.wait_until(time_point::max(), std::stop_token{});
  }

  // Queues a request for `key`; never blocks.
  Handle lock(std::string key, std::chrono::milliseconds ttl,
              std::optional<time_point> deadline = {}) {
    auto w = std::make_shared<Waiter>(core_->lock.backend(), key, ttl, deadline);
    bool start_contender = false;
    {
      std::lock_guard guard(core_->mutex);
      if (core_->shutting_down) {
        finish(*w, Outcome::cancelled, "the lock manager is shutting down");
        return Handle(core_, std::move(w));
      }
      Queue& q = core_->queues[key];
      q.waiters.push_back(w);
      if (!q.contender) {
        q.contender = true;
        ++core_->contenders;
        start_contender = true;
      }
    }
    if (start_contender &&
        !core_->lock.backend().spawn("lock-contender", [core = core_, key] { contend(*core, key); })) {
      no_contender(key);
    }
    return Handle(core_, std::move(w));
  }

  // Waiters queued for `key`, the one being served included.
  std::size_t queued(const std::string& key) const {
    std::lock_guard guard(core_->mutex);
    auto it = core_->queues.find(key);
    return it == core_->queues.end() ? 0
                                     : it->second.waiters.size() + (it->second.serving ? 1 : 0);
  }

 private:
  // Sets a waiter's result and wakes its handle; call with the mutex held.
  static void finish(Waiter& w, Outcome outcome, std::string detail) {
    w.result = unserved(outcome, std::move(detail));
    w.ready.set();
  }

  // The contender for `key` could not be started: its waiters (this call's,
  // and any that queued behind it meanwhile) are told, and the key is free
  // for the next lock() to try again.
  void no_contender(const std::string& key) {
    std::lock_guard guard(core_->mutex);
    Queue& q = core_->queues[key];
    for (const std::shared_ptr<Waiter>& w : q.waiters) {
      if (!w->given_up) finish(*w, Outcome::cancelled, "the backend could not start a contender task");
    }
    core_->queues.erase(key);
    contender_gone(*core_);
  }

  // Call with the mutex held.
  static void contender_gone(Core& core) {
    LOCKLAB_ASSERT_GT(core.contenders, std::size_t{0});
    if (--core.contenders == 0 && core.shutting_down) core.idle.set();
  }

  // The one task per key that talks to Redis for this process.
  static void contend(Core& core, const std::string& key) {
    for (;;) {
      std::shared_ptr<Waiter> w;
      {
        std::lock_guard guard(core.mutex);
        Queue& q = core.queues[key];
        LOCKLAB_ASSERT(q.contender, "a contender for ", key, " that the queue does not know");
        q.serving.reset();
        if (q.waiters.empty()) {
          core.queues.erase(key);
          contender_gone(core);
          return;
        }
        w = std::move(q.waiters.front());
        q.waiters.pop_front();
        q.serving = w;
      }
      serve(core, *w);
    }
  }

  static void serve(Core& core, Waiter& w) {
    bool skip = false;
    {
      std::lock_guard guard(core.mutex);
      skip = w.given_up.has_value() || core.shutting_down;
    }
    Result r = skip ? unserved(Outcome::cancelled, "given up before its turn")
                    : core.lock.acquire_for(w.key, w.ttl, w.deadline, w.cancel.get_token());
    bool wanted = false;
    {
      std::lock_guard guard(core.mutex);
      wanted = !w.given_up;
      if (wanted) {
        w.result = r;
        w.ready.set();
      }
    }
    if (!r.acquired()) return;
    LOCKLAB_ASSERT(r.lease.has_value(), "acquired without a lease");
    if (!wanted) {
      // The waiter gave up while the acquire was in flight: nobody will use
      // or unlock this grant, so it goes now rather than at its TTL.
      (void)core.lock.release(*r.lease);
      return;
    }
    // Hold until the owner unlocks (it releases in Redis), the lease ends on
    // this clock, or the manager stops.
    (void)w.finished.wait_until(r.lease->validity_end, std::stop_token{});
    {
      std::lock_guard guard(core.mutex);
      if (w.unlocked || core.shutting_down) return;
      w.unlocked = true;  // expired on our clock: nobody holds it any more
    }
    (void)core.lock.release(*r.lease);
  }

  std::shared_ptr<Core> core_;
};

}  // namespace locklab::lock
