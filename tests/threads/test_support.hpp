// tests/threads/test_support.hpp — small helpers shared by the thread
// backend's tests.
//
// Provides all_nodes(n) (0..n-1, a fan_out's usual target list),
// eventually(ready, limit) (polls for an effect that lands later, on another
// thread) and show(result) (a NodeResult for a failure message).
//
// Deliberately absent: anything a test should assert itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "locklab/lock/reply.hpp"

namespace locklab::testing {

using Clock = std::chrono::steady_clock;

inline std::vector<std::size_t> all_nodes(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t{0});
  return v;
}

// Polls until `ready()` or `limit` passes: for effects that land late, on
// another thread.
template <typename Ready>
bool eventually(Ready ready, Clock::duration limit = std::chrono::seconds(3)) {
  const auto until = Clock::now() + limit;
  while (!ready()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A NodeResult in a failure message.
inline std::string show(const lock::NodeResult& r) {
  if (r) return lock::to_display(*r);
  return std::string(lock::name_of(r.error().kind)) +
         (r.error().maybe_applied ? " (maybe applied)" : "") + ": " + r.error().detail;
}

}  // namespace locklab::testing
