#include "locklab/sim/event_queue.hpp"

#include "locklab/assert.hpp"

namespace locklab::sim {

// Moves `entry` up from the hole at `at` to where it belongs.
void EventQueue::sift_up(std::size_t at, Entry entry) {
  while (at > 0) {
    const std::size_t parent = (at - 1) / 2;
    if (!before(entry, heap_[parent])) break;
    place(at, heap_[parent]);
    at = parent;
  }
  place(at, entry);
}

// Moves `entry` down from the hole at `at` to where it belongs.
void EventQueue::sift_down(std::size_t at, Entry entry) {
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], entry)) break;
    place(at, heap_[child]);
    at = child;
  }
  place(at, entry);
}

EventId EventQueue::push(TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.kind = kind;
  s.a = a;
  s.b = b;
  heap_.emplace_back();
  sift_up(heap_.size() - 1, Entry{at, next_seq_++, slot});
  return EventId{slot, slots_[slot].generation};
}

void EventQueue::push_uncancellable(TrueTime at, EventKind kind, std::uint64_t a,
                                    std::uint64_t b) {
  // Sequence numbers only grow, so an event due no earlier than the FIFO's
  // last one also comes after it in (time, sequence) order.
  if (fifo_.empty() || fifo_.back().at <= at) {
    fifo_.push_back(Event{at, next_seq_++, kind, a, b});
  } else {
    push(at, kind, a, b);
  }
}

// Frees the slot of the entry at `at` and closes the hole with the last entry.
void EventQueue::remove_at(std::size_t at) {
  Slot& slot = slots_[heap_[at].slot];
  if (++slot.generation == 0) slot.generation = 1;  // 0 means "no event"
  free_slots_.push_back(heap_[at].slot);
  const Entry last = heap_.back();
  heap_.pop_back();
  if (at == heap_.size()) return;
  if (at > 0 && before(last, heap_[(at - 1) / 2])) {
    sift_up(at, last);
  } else {
    sift_down(at, last);
  }
}

// Removing the earliest event: the hole at the root moves down along the
// earlier child to a leaf (one comparison per level), then the last entry
// moves up from there. The last entry is usually among the latest (a
// deadline far ahead), so it rarely moves up at all: about half the
// comparisons of sifting it down from the root.
Event EventQueue::pop() {
  if (fifo_first()) {
    const Event e = fifo_.front();
    fifo_.pop_front();
    return e;
  }
  return pop_heap();
}

Event EventQueue::pop_heap() {
  LOCKLAB_ASSERT(!heap_.empty(), "pop from an empty event queue");
  const Event e = event_of(heap_.front());
  Slot& slot = slots_[heap_.front().slot];
  if (++slot.generation == 0) slot.generation = 1;  // 0 means "no event"
  free_slots_.push_back(heap_.front().slot);
  const Entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return e;
  std::size_t at = 0;
  for (std::size_t child = 1; child < n; child = 2 * at + 1) {
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
    place(at, heap_[child]);
    at = child;
  }
  sift_up(at, last);
  return e;
}

EventId EventQueue::reschedule(EventId id, TrueTime at, EventKind kind, std::uint64_t a,
                               std::uint64_t b) {
  if (!id.valid() || id.slot >= slots_.size() || slots_[id.slot].generation != id.generation) {
    return push(at, kind, a, b);
  }
  Slot& s = slots_[id.slot];
  s.kind = kind;
  s.a = a;
  s.b = b;
  const std::size_t position = s.position;
  const Entry entry{at, next_seq_++, id.slot};
  if (position > 0 && before(entry, heap_[(position - 1) / 2])) {
    sift_up(position, entry);
  } else {
    sift_down(position, entry);
  }
  return id;
}

bool EventQueue::cancel(EventId id) {
  if (!id.valid() || id.slot >= slots_.size() || slots_[id.slot].generation != id.generation) {
    return false;
  }
  remove_at(slots_[id.slot].position);
  return true;
}

}  // namespace locklab::sim
