// tests/threads/waiting.hpp — blocking waits that wake on a deadline or on
// any of two stop tokens, for the thread backend and the fake Redis.
//
// Provides MergedStop (one stop token that fires when either of two does: the
// caller's and the backend's shutdown) and wait_until(), a condition-variable
// wait with a predicate, a stop token and a deadline, where the deadline
// time_point::max() means "no deadline" and is never converted to a relative
// timeout (which would overflow).
//
// Deliberately absent: spurious-wakeup handling beyond the predicate, and any
// clock but std::chrono::steady_clock.
//
//   MergedStop wake(stop, shutdown);
//   std::unique_lock lock(mutex);
//   bool got = wait_until(cv, lock, wake.token(), deadline, [&] { return ready; });
//
// Threads: MergedStop is per waiter (one thread builds, uses and destroys it);
// its callbacks may run on whichever thread fires either token.
#pragma once

#include <chrono>
#include <condition_variable>
#include <stop_token>
#include <utility>

namespace locklab::testing::detail {

class MergedStop {
 public:
  MergedStop(const std::stop_token& a, const std::stop_token& b)
      : on_a_(a, Wake{&source_}), on_b_(b, Wake{&source_}) {}
  MergedStop(const MergedStop&) = delete;
  MergedStop& operator=(const MergedStop&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  bool stop_requested() const { return source_.stop_requested(); }

 private:
  // Requesting stop on a stop_source takes no lock of ours, so the callback
  // may run on any thread, and the callbacks' destructors (which wait for a
  // callback running elsewhere) can never deadlock against a mutex we hold.
  struct Wake {
    std::stop_source* source;
    void operator()() const noexcept { source->request_stop(); }
  };
  std::stop_source source_;  // declared first: the callbacks point at it
  std::stop_callback<Wake> on_a_;
  std::stop_callback<Wake> on_b_;
};

// True when `ready()` holds; false on the deadline or when `stop` fired with
// `ready()` still false. `lock` must be held on entry; it is held on return.
template <typename Lock, typename Ready>
bool wait_until(std::condition_variable_any& cv, Lock& lock, const std::stop_token& stop,
                std::chrono::steady_clock::time_point deadline, Ready ready) {
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    return cv.wait(lock, stop, std::move(ready));
  }
  return cv.wait_until(lock, stop, deadline, std::move(ready));
}

}  // namespace locklab::testing::detail
