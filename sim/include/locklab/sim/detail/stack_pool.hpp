// locklab/sim/detail/stack_pool.hpp — where simulated fibers' stacks come from.
//
// Internal to the simulator. Pooled stacks are fixed-size blocks reused after
// a fiber ends, so a world of 10,000 processes costs 10,000 stacks of address
// space (only touched pages are resident) and no mmap per fiber. Guarded
// stacks (one mmap each, with a guard page) are the default in sanitizer
// builds, where frames are larger and an overflow must fault, not corrupt.
#pragma once

#include <boost/fiber/fiber.hpp>
#include <boost/fiber/pooled_fixedsize_stack.hpp>
#include <boost/fiber/protected_fixedsize_stack.hpp>
#include <cstddef>
#include <memory>
#include <utility>

#include "locklab/sim/world.hpp"

namespace locklab::sim {

struct World::StackPool {
  StackPool(StackKind stack_kind, std::size_t stack_size)
      : kind(stack_kind), size(stack_size), pooled(stack_size) {}

  static StackKind default_kind() {
#ifdef LOCKLAB_SANITIZED
    return StackKind::guarded;
#else
    return StackKind::pooled;
#endif
  }
  static std::size_t default_size() {
#ifdef LOCKLAB_SANITIZED
    return 512 * 1024;
#else
    return 128 * 1024;
#endif
  }

  // Starts a detached fiber running `fn` on a stack of this pool's kind.
  template <typename Fn>
  void launch(Fn&& fn) {
    if (kind == StackKind::guarded) {
      boost::fibers::fiber(std::allocator_arg, boost::fibers::protected_fixedsize_stack(size),
                           std::forward<Fn>(fn))
          .detach();
    } else {
      boost::fibers::fiber(std::allocator_arg, pooled, std::forward<Fn>(fn)).detach();
    }
  }

  StackKind kind;
  std::size_t size;
  boost::fibers::pooled_fixedsize_stack pooled;
};

}  // namespace locklab::sim
