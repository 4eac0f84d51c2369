#include "locklab/sim/event_queue.hpp"

#include <algorithm>

#include "locklab/assert.hpp"

namespace locklab::sim {

// std::push_heap/pop_heap build a max-heap for the comparator; giving them
// "after" makes the earliest event the front.
void EventQueue::push(TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b) {
  heap_.push_back(Event{at, next_seq_++, kind, a, b});
  std::push_heap(heap_.begin(), heap_.end(),
                 [](const Event& x, const Event& y) { return before(y, x); });
}

Event EventQueue::pop() {
  LOCKLAB_ASSERT(!heap_.empty(), "pop from an empty event queue");
  std::pop_heap(heap_.begin(), heap_.end(),
                [](const Event& x, const Event& y) { return before(y, x); });
  Event e = heap_.back();
  heap_.pop_back();
  return e;
}

}  // namespace locklab::sim
