// Under AddressSanitizer only: every C++ throw first clears stale stack
// poisoning just below the throwing frame.
//
// Why: ASan poisons a frame's locals while they are out of scope and clears
// the poison when the frame returns normally. A frame unwound by an
// exception never returns normally; on a thread's own stack ASan's
// __asan_handle_no_return (called by its __cxa_throw interceptor) then clears
// the whole stack below. On a fiber stack it cannot — Debian's Boost.Context
// carries no fiber annotations, so ASan does not know the stack's bounds —
// and it gives up ("ignoring requested __asan_handle_no_return"). The stale
// poison of a caught exception's frames then stays below the stack pointer,
// and the next throw's own machinery (which runs there) is reported as a
// stack-use-after-scope. The world clears a fiber's stack around kills
// (world_fibers.cpp); this covers exceptions that process code throws and
// catches itself (a NamedMutex's system_error, a ConfigError).
//
// The same stale poison meets ASan's own __asan_handle_no_return, which the
// compiler calls at the end of every cleanup (a destructor run while an
// exception passes through a frame) before the unwinding resumes: on a fiber
// it still calls sigaltstack, whose interceptor checks the stack_t it writes
// just below the cleanup's frame, where the frames already unwound left
// their poison (a deployment's agent fiber unwound at a world's teardown
// was reported so). So __asan_handle_no_return is interposed too, and
// clears the fiber's unused stack below the calling frame first.
//
// How: this definition interposes __cxa_throw for the program (it is linked
// into every executable that links locklab::sim and throws), clears the
// running fiber's stack from the throwing frame up, as ASan would on a
// thread's stack, and hands over to the next definition — ASan's
// interceptor, which calls the C++ runtime's. The world notes which fiber
// stack runs (asan_stack.hpp).
#if defined(__SANITIZE_ADDRESS__)

#include <dlfcn.h>
#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <typeinfo>

#include "asan_stack.hpp"

namespace locklab::sim::detail {
thread_local RunningStack running_stack;
}

namespace {

using CxaThrow = void (*)(void*, std::type_info*, void (*)(void*));

// What ASan's __asan_handle_no_return does on a thread's stack, done on the
// running fiber's: clear everything from just below this frame to the top of
// the stack (the frames the exception may unwind, and the live ones above —
// unpoisoned, not freed: it can hide nothing but stale poison).
__attribute__((noinline, no_sanitize_address)) void clear_fiber_stack_above_here() {
  const locklab::sim::detail::RunningStack s = locklab::sim::detail::running_stack;
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  if (s.top == nullptr || here >= s.top || here < s.top - s.size) return;  // not on that fiber
  const char* low = here - 4096 > s.top - s.size ? here - 4096 : s.top - s.size;
  __asan_unpoison_memory_region(low, static_cast<std::size_t>(s.top - low));
}

// Clears the unused part of the running fiber's stack just below this frame
// (nothing lives there: only stale poison of frames gone).
__attribute__((noinline, no_sanitize_address)) void clear_fiber_stack_below_here() {
  const locklab::sim::detail::RunningStack s = locklab::sim::detail::running_stack;
  const char* here = static_cast<const char*>(__builtin_frame_address(0));
  const char* bottom = s.top - s.size;
  if (s.top == nullptr || here >= s.top || here < bottom) return;  // not on that fiber
  const char* low = here - 16384 > bottom ? here - 16384 : bottom;
  __asan_unpoison_memory_region(low, static_cast<std::size_t>(here - low));
}

using HandleNoReturn = void (*)();

}  // namespace

extern "C" __attribute__((visibility("default"), no_sanitize_address)) void __asan_handle_no_return() {
  static const HandleNoReturn next =
      reinterpret_cast<HandleNoReturn>(dlsym(RTLD_NEXT, "__asan_handle_no_return"));
  clear_fiber_stack_below_here();
  next();
}

extern "C" [[noreturn]] __attribute__((visibility("default"))) void __cxa_throw(
    void* object, std::type_info* type, void (*destructor)(void*)) {
  static const CxaThrow next = reinterpret_cast<CxaThrow>(dlsym(RTLD_NEXT, "__cxa_throw"));
  clear_fiber_stack_above_here();
  next(object, type, destructor);
  __builtin_unreachable();
}

#endif
