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
// The mutex is not recursive, and one NamedMutex object is one owner: calling
// lock() while holding is a programming error (asserted).
//
//   lock::NamedMutex m(redlock, "orders", 2s);
//   { std::unique_lock held(m); write(*m.lease()->fencing_token); }
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include "locklab/assert.hpp"
#include "locklab/lock/outcome.hpp"

namespace locklab::lock {

template <typename Lock>
class NamedMutex {
 public:
  using LeaseType = typename Lock::LeaseType;
  using time_point = typename LeaseType::TimePointType;
  using clock = typename time_point::clock;

  NamedMutex(Lock& lock, std::string key, std::chrono::nanoseconds acquire_timeout)
      : lock_(lock), key_(std::move(key)), acquire_timeout_(acquire_timeout) {}
  NamedMutex(const NamedMutex&) = delete;
  NamedMutex& operator=(const NamedMutex&) = delete;

  void lock() {
    LOCKLAB_ASSERT(!lease_, "NamedMutex::lock() while holding ", key_, " (not recursive)");
    const Outcome o = take(lock_.acquire(key_, lock_.backend().now() + acquire_timeout_));
    if (o == Outcome::acquired) return;
    throw std::system_error(std::make_error_code(o == Outcome::cancelled
                                                     ? std::errc::operation_canceled
                                                     : std::errc::timed_out),
                            "NamedMutex " + key_ + ": " + std::string(name_of(o)));
  }

  bool try_lock() {
    LOCKLAB_ASSERT(!lease_, "NamedMutex::try_lock() while holding ", key_);
    return take(lock_.try_acquire(key_)) == Outcome::acquired;
  }

  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return try_lock_until(lock_.backend().now() +
                          std::chrono::duration_cast<typename clock::duration>(d));
  }

  template <typename Duration>
  bool try_lock_until(const std::chrono::time_point<clock, Duration>& t) {
    LOCKLAB_ASSERT(!lease_, "NamedMutex::try_lock_until() while holding ", key_);
    return take(lock_.acquire(key_, std::chrono::time_point_cast<typename clock::duration>(t))) ==
           Outcome::acquired;
  }

  void unlock() {
    LOCKLAB_ASSERT(lease_.has_value(), "NamedMutex::unlock() of ", key_, " without holding it");
    last_release_ = lock_.release(*lease_);
    lease_.reset();
  }

  // The lease while held (its fencing token, validity end).
  const std::optional<LeaseType>& lease() const { return lease_; }
  const std::optional<ReleaseResult>& last_release() const { return last_release_; }
  const std::string& key() const { return key_; }

 private:
  Outcome take(AcquireResult<time_point> r) {
    if (r.acquired()) lease_ = std::move(r.lease);
    return r.outcome;
  }

  Lock& lock_;
  std::string key_;
  std::chrono::nanoseconds acquire_timeout_;
  std::optional<LeaseType> lease_;
  std::optional<ReleaseResult> last_release_;
};

}  // namespace locklab::lock
