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
// Handles own their place in the queue: destroying a waiting handle cancels
// it; destroying a holding one unlocks (quietly). The manager must outlive
// its handles and its contender tasks (it waits for none on destruction, so
// keep it for the life of the process, as intended).
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
    std::string key;
    std::chrono::milliseconds ttl;
    std::optional<time_point> deadline;
    std::stop_source cancel;
    std::optional<Result> result;
    typename BackendType::Event ready;     // result is set
    typename BackendType::Event finished;  // the holder unlocked (or gave up waiting)
    bool unlocked = false;
  };

 public:
  class [[nodiscard]] Handle {
   public:
    Handle(Handle&& other) noexcept
        : manager_(other.manager_), waiter_(std::move(other.waiter_)) {}
    Handle& operator=(Handle&&) = delete;
    Handle(const Handle&) = delete;
    ~Handle() {
      if (!waiter_) return;
      typename BackendType::NoThrowScope quiet(manager_->lock_.backend());
      if (holds()) {
        (void)unlock();
      } else {
        waiter_->cancel.request_stop();
        waiter_->finished.set();
      }
    }

    // Blocks until the result is known, at the latest until the request's
    // deadline (or `stop` fires): then the place in the queue is given up and
    // the result is timed_out (cancelled).
    Result wait(std::stop_token stop = {}) {
      const auto until = waiter_->deadline.value_or(time_point::max());
      const WaitStatus s = waiter_->ready.wait_until(until, stop);
      if (s != WaitStatus::signalled) {
        waiter_->cancel.request_stop();
        waiter_->finished.set();
        if (s == WaitStatus::timed_out) {
          return Result{.outcome = Outcome::timed_out, .detail = "the deadline passed while queued"};
        }
        return Result{.outcome = Outcome::cancelled, .detail = "stopped while waiting"};
      }
      return *waiter_->result;
    }
    bool ready() const { return waiter_->ready.is_set(); }
    bool holds() const {
      return waiter_->result && waiter_->result->acquired() && !waiter_->unlocked;
    }

    // Releases the lock in Redis; only the holding handle may.
    ReleaseResult unlock() {
      if (!holds()) {
        return {.outcome = Outcome::invalid, .detail = "this handle does not hold the lock"};
      }
      waiter_->unlocked = true;
      ReleaseResult r = manager_->lock_.release(*waiter_->result->lease);
      waiter_->finished.set();
      return r;
    }

   private:
    friend class LockManager;
    Handle(LockManager* m, std::shared_ptr<Waiter> w) : manager_(m), waiter_(std::move(w)) {}
    LockManager* manager_;
    std::shared_ptr<Waiter> waiter_;
  };

  explicit LockManager(Lock& lock) : lock_(lock) {}
  LockManager(const LockManager&) = delete;
  LockManager& operator=(const LockManager&) = delete;

  // Queues a request for `key`; never blocks.
  Handle lock(std::string key, std::chrono::milliseconds ttl,
              std::optional<time_point> deadline = {}) {
    auto w = std::make_shared<Waiter>(lock_.backend(), key, ttl, deadline);
    bool start_contender = false;
    {
      std::lock_guard guard(mutex_);
      Queue& q = queues_[key];
      q.waiters.push_back(w);
      start_contender = !std::exchange(q.contender, true);
    }
    if (start_contender) {
      lock_.backend().spawn("lock-contender", [this, key] { contend(key); });
    }
    return Handle(this, std::move(w));
  }

  // Waiters queued for `key`, the one being served included.
  std::size_t queued(const std::string& key) const {
    std::lock_guard guard(mutex_);
    auto it = queues_.find(key);
    return it == queues_.end() ? 0 : it->second.waiters.size() + (it->second.serving ? 1 : 0);
  }

 private:
  struct Queue {
    std::deque<std::shared_ptr<Waiter>> waiters;
    bool contender = false;
    bool serving = false;
  };

  // The one task per key that talks to Redis for this process.
  void contend(const std::string& key) {
    for (;;) {
      std::shared_ptr<Waiter> w;
      {
        std::lock_guard guard(mutex_);
        Queue& q = queues_[key];
        q.serving = false;
        if (q.waiters.empty()) {
          queues_.erase(key);
          return;
        }
        w = std::move(q.waiters.front());
        q.waiters.pop_front();
        q.serving = true;
      }
      serve(*w);
    }
  }

  void serve(Waiter& w) {
    if (w.cancel.stop_requested()) {
      w.result = Result{.outcome = Outcome::cancelled};
    } else {
      w.result = lock_.acquire_for(w.key, w.ttl, w.deadline, w.cancel.get_token());
    }
    w.ready.set();
    if (!w.result->acquired()) return;
    // Hold until the owner unlocks (it releases in Redis) or the lease ends.
    const WaitStatus s = w.finished.wait_until(w.result->lease->validity_end, std::stop_token{});
    if (s != WaitStatus::signalled && !w.unlocked) {
      w.unlocked = true;  // expired on our clock: nobody holds it any more
      (void)lock_.release(*w.result->lease);
    }
  }

  Lock& lock_;
  mutable typename BackendType::Mutex mutex_;
  std::map<std::string, Queue> queues_;
};

}  // namespace locklab::lock
