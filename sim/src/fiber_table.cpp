#include "locklab/sim/detail/fiber_table.hpp"

#include <cstdlib>

#include "locklab/assert.hpp"

namespace locklab::sim {

FiberHandle FiberTable::allocate() {
  std::uint32_t index;
  if (!free_.empty()) {
    // Reuse the most recently freed slot: deterministic, and warm in cache.
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(std::make_unique<FiberRecord>());
  }
  FiberRecord& r = *slots_[index];
  const std::uint32_t generation = r.generation;
  r = FiberRecord{};
  r.generation = generation;
  r.in_use = true;
  ++live_;
  return FiberHandle{index, generation};
}

void FiberTable::release(FiberHandle h) {
  FiberRecord& r = at(h);
  r.in_use = false;
  r.body = nullptr;
  ++r.generation;
  free_.push_back(h.index);
  --live_;
}

void FiberTable::stale(FiberHandle h) {
  LOCKLAB_ASSERT(false, "stale fiber handle ", h.index, "/", h.generation);
  std::abort();  // LOCKLAB_ASSERT(false) does not return
}

}  // namespace locklab::sim
