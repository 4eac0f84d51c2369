// locklab/lock/mutex.hpp — a named distributed lock as a standard mutex.
//
// Provides NamedMutex<Lock>: meets the standard Lockable and TimedLockable
// requirements, so std::unique_lock, std::lock_guard and std::scoped_lock work
// on it. Its time points are the backend's clock's (in simulation the
// process's own clock), because that is the only clock an algorithm may read.
//   lock()            acquires, waiting up to `acquire_timeout`; on failure
//                     throws std::system_error (errc::timed_out, or
//                     errc::operation_canceled), as the standard allows;
//   try_lock()        one attempt, no retries: true if acquired;
//   try_lock_for(d) / try_lock_until(t)
//                     retries until then: true if acquired, never throws for
//                     a refusal;
//   unlock()          releases (a failed release is not an error: the key
//                     frees by its TTL; last_release() tells what happened).
//
// Threads. One NamedMutex is shared by the threads of a process the way a
// std::mutex is: it is thread-safe, and a second thread's lock() or
// try_lock_for() waits locally until the first unlocks or its time is up —
// it never sends a second acquire to Redis while this process holds the
// key. try_lock() returns false at once when another thread holds it. The
// owner is the task (backend.current_task()) that locked it: unlock() from
// another task throws std::system_error(errc::operation_not_permitted), and
// a recursive lock() throws errc::resource_deadlock_would_occur — the errors
// std::mutex implementations report for the same mistakes.
//
//   lock::NamedMutex m(redlock, "orders", 2s);
//   { std::unique_lock held(m); write(*m.lease()->fencing_token); }
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

#include "locklab/assert.hpp"
#include "locklab/lock/detail/saturate.hpp"
#include "locklab/lock/backend.hpp"
#include "locklab/lock/outcome.hpp"

namespace locklab::lock {

template <typename Lock>
class NamedMutex {
 public:
  using LeaseType = typename Lock::LeaseType;
  using time_point = typename LeaseType::TimePointType;
  using clock = typename time_point::clock;
  using BackendType = std::remove_reference_t<decltype(std::declval<Lock&>().backend())>;
  using TaskId = typename BackendType::TaskId;

  NamedMutex(Lock& lock, std::string key, std::chrono::nanoseconds acquire_timeout)
      : lock_(lock), key_(std::move(key)), acquire_timeout_(acquire_timeout), free_(lock.backend()) {
    free_.set();
  }
  NamedMutex(const NamedMutex&) = delete;
  NamedMutex& operator=(const NamedMutex&) = delete;

  void lock() {
    const auto deadline = detail::add_saturating(lock_.backend().now(), acquire_timeout_);
    const Outcome o = acquire_until(deadline, false);
    if (o == Outcome::acquired) return;
    throw std::system_error(std::make_error_code(o == Outcome::cancelled
                                                     ? std::errc::operation_canceled
                                                     : std::errc::timed_out),
                            "NamedMutex " + key_ + ": " + std::string(name_of(o)));
  }

  bool try_lock() { return acquire_until(lock_.backend().now(), true) == Outcome::acquired; }

  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire_until(detail::add_saturating(lock_.backend().now(), d), false) ==
           Outcome::acquired;
  }

  template <typename Duration>
  bool try_lock_until(const std::chrono::time_point<clock, Duration>& t) {
    return acquire_until(std::chrono::time_point_cast<typename clock::duration>(t), false) ==
           Outcome::acquired;
  }

  void unlock() {
    const TaskId me = lock_.backend().current_task();
    std::optional<LeaseType> lease;
    {
      std::lock_guard guard(mutex_);
      if (!lease_ || owner_ != me) {
        throw std::system_error(std::make_error_code(std::errc::operation_not_permitted),
                                "NamedMutex " + key_ + ": unlock() by a task that does not hold it");
      }
      lease = lease_;
    }
    // Only the owner gets here, and nobody else takes the mutex before it is
    // marked free below, so the release needs no lock of ours.
    ReleaseResult released = lock_.release(*lease);
    std::lock_guard guard(mutex_);
    last_release_ = std::move(released);
    lease_.reset();
    owner_ = TaskId{};
    busy_ = false;
    free_.set();
  }

  // The lease while held (its fencing token, validity end); for the owner.
  std::optional<LeaseType> lease() const {
    std::lock_guard guard(mutex_);
    return lease_;
  }
  std::optional<ReleaseResult> last_release() const {
    std::lock_guard guard(mutex_);
    return last_release_;
  }
  const std::string& key() const { return key_; }

 private:
  // Takes the local mutex (waiting until `deadline`, or not at all when
  // `once`), then acquires in Redis; gives the local mutex back on failure.
  Outcome acquire_until(time_point deadline, bool once) {
    const TaskId me = lock_.backend().current_task();
    for (;;) {
      {
        std::lock_guard guard(mutex_);
        if (owner_ == me && lease_) {
          throw std::system_error(std::make_error_code(std::errc::resource_deadlock_would_occur),
                                  "NamedMutex " + key_ + ": locked again by its owner (not recursive)");
        }
        if (!busy_) {
          busy_ = true;
          free_.reset();
          break;
        }
      }
      if (once) return Outcome::busy;
      // A manual-reset event with reset and set under mutex_ wakes us at
      // every unlock; a competitor may win the race, then we wait again.
      const WaitStatus s = free_.wait_until(deadline, std::stop_token{});
      if (s == WaitStatus::timed_out) return Outcome::timed_out;
      if (s == WaitStatus::cancelled) return Outcome::cancelled;
    }
    AcquireResult<time_point> r =
        once ? lock_.try_acquire(key_) : lock_.acquire(key_, deadline);
    std::lock_guard guard(mutex_);
    if (r.acquired()) {
      LOCKLAB_ASSERT(r.lease.has_value(), "acquired without a lease");
      lease_ = std::move(r.lease);
      owner_ = me;
    } else {
      busy_ = false;
      free_.set();
    }
    return r.outcome;
  }

  Lock& lock_;
  const std::string key_;
  const std::chrono::nanoseconds acquire_timeout_;
  mutable typename BackendType::Mutex mutex_;
  typename BackendType::Event free_;  // set while no task holds or is acquiring
  // Guarded by mutex_.
  bool busy_ = false;  // a task holds the key, or is acquiring it in Redis
  TaskId owner_{};
  std::optional<LeaseType> lease_;
  std::optional<ReleaseResult> last_release_;
};

}  // namespace locklab::lock
