// sim/src/asan_stack.hpp — which fiber stack runs on this thread, for the
// AddressSanitizer throw shim (asan_throw.cpp). Without ASan it is nothing.
//
// The world notes a fiber's stack whenever it hands the thread to that fiber;
// the shim checks that the throwing frame lies inside the noted stack before
// it trusts it, so a throw from the driver (or a stale note) is left alone.
#pragma once

#include <cstddef>

namespace locklab::sim::detail {

#if defined(__SANITIZE_ADDRESS__)
struct RunningStack {
  const char* top = nullptr;  // an address in the fiber's first frame
  std::size_t size = 0;
};
// Per thread, like Boost.Fiber's own scheduler: not simulation state.
extern thread_local RunningStack running_stack;
inline void note_running_stack(const char* top, std::size_t size) { running_stack = {top, size}; }
#else
inline void note_running_stack(const char*, std::size_t) {}
#endif

}  // namespace locklab::sim::detail
