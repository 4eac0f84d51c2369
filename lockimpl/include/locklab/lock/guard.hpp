// locklab/lock/guard.hpp — RAII over a held lease.
//
// Provides LeaseGuard<Lock>: releases its lease when it goes out of scope,
// and never throws doing so (the release runs inside the backend's
// NoThrowScope, so even a simulated kill during it is a value, and a failed
// release is harmless: the key frees by its TTL). release() does the same
// early and returns the result; dismiss() keeps the lock held past the scope.
//
// Lock is any lock of lockimpl with release(lease) and backend() (RedLock,
// SingleNodeLock, NaiveLock).
//
// Threads: a LeaseGuard is one owner's, like std::unique_lock — not
// thread-safe; move it to hand the lease to another thread.
//
//   auto got = lock.acquire("orders", deadline);
//   if (!got) return;
//   lock::LeaseGuard guard(lock, std::move(*got.lease));
//   write(guard.lease().fencing_token);
#pragma once

#include <optional>
#include <utility>

#include "locklab/lock/outcome.hpp"

namespace locklab::lock {

template <typename Lock>
class LeaseGuard {
 public:
  using LeaseType = typename Lock::LeaseType;

  LeaseGuard(Lock& lock, LeaseType lease) : lock_(&lock), lease_(std::move(lease)) {}
  LeaseGuard(LeaseGuard&& other) noexcept
      : lock_(other.lock_), lease_(std::exchange(other.lease_, std::nullopt)) {}
  LeaseGuard& operator=(LeaseGuard&& other) noexcept {
    if (this != &other) {
      release_quietly();
      lock_ = other.lock_;
      lease_ = std::exchange(other.lease_, std::nullopt);
    }
    return *this;
  }
  LeaseGuard(const LeaseGuard&) = delete;
  LeaseGuard& operator=(const LeaseGuard&) = delete;
  ~LeaseGuard() { release_quietly(); }

  bool owns() const { return lease_.has_value(); }
  LeaseType& lease() { return *lease_; }
  const LeaseType& lease() const { return *lease_; }

  // Releases now; the guard then owns nothing.
  ReleaseResult release() {
    if (!lease_) {
      return {.outcome = Outcome::not_held, .nodes = {}, .detail = "the guard owns no lease"};
    }
    ReleaseResult r = lock_->release(*lease_);
    lease_.reset();
    return r;
  }

  // Gives the lease up without releasing it (it frees by its TTL).
  LeaseType dismiss() {
    LeaseType out = std::move(*lease_);
    lease_.reset();
    return out;
  }

 private:
  void release_quietly() noexcept {
    if (!lease_) return;
    typename std::remove_reference_t<decltype(lock_->backend())>::NoThrowScope quiet(
        lock_->backend());
    (void)lock_->release(*lease_);
    lease_.reset();
  }

  Lock* lock_;
  std::optional<LeaseType> lease_;
};

}  // namespace locklab::lock
