// locklab/sim/event_queue.hpp — the world's agenda of future events.
//
// Provides EventQueue: a binary min-heap of Events ordered by (true time,
// sequence number). The sequence number is assigned at push, so two events at
// the same instant fire in the order they were scheduled: ties never depend on
// heap internals or addresses.
//
// An Event is a small value (kind and two operands); what it means is up to
// the World, which dispatches on the kind. push() returns an EventId with
// which the event can be cancelled before it fires: the heap is indexed (each
// event knows its position through a slot table), so cancel and reschedule
// are O(log n). The world keeps one timer entry per fiber and moves it
// (reschedule) at each wait with a deadline — without that, every call
// answered before its deadline left a timer behind, and the heap grew by one
// dead entry per call; a woken fiber's entry is dead until then, and skipped. A cancelled event is simply
// never popped; the order of the others is unchanged. An EventId carries its
// slot's generation, so cancelling an event that already fired (its slot
// reused since) does nothing. Allocation free in the steady state.
//
// Events nobody will cancel (message deliveries) are pushed with
// push_uncancellable(). When such an event is due no earlier than the last
// one pushed that way, it joins a FIFO instead of the heap: under a fixed
// latency every delivery does, and most of a busy world's events cost a
// push_back and a pop_front instead of two sifts through a heap of a
// hundred. pop() takes the earlier of the FIFO's front and the heap's top
// by (time, sequence), so the order of events is exactly the one heap
// alone would give (property test `FifoPathKeepsTheHeapOrder`).
//
//   EventQueue q;
//   EventId id = q.push(t, EventKind::fiber_timer, handle, generation);
//   q.cancel(id);
//   q.push_uncancellable(t, EventKind::pipe_deliver, pipe, generation);
//   while (!q.empty()) { Event e = q.pop(); ... }
#pragma once

#include <cstdint>
#include <vector>

#include "locklab/sim/detail/ring_queue.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

enum class EventKind : std::uint8_t {
  fiber_timer,   // a = fiber handle, b = timer generation
  pipe_deliver,  // a = pipe id, b = pipe generation: deliver what is due at its head
  fault,         // a = index into the world's fault list
  callback,      // a = index into the world's callback list
};

struct Event {
  TrueTime at;
  std::uint64_t seq = 0;
  EventKind kind = EventKind::callback;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

// Names a pushed event until it is popped or cancelled.
struct EventId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0: no event
  bool valid() const { return generation != 0; }
};

class EventQueue {
 public:
  EventId push(TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b = 0);
  // As push(), for an event that will never be cancelled or rescheduled.
  void push_uncancellable(TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b = 0);
  Event pop();
  // Removes the event if it is still queued; false if it already left.
  bool cancel(EventId id);
  // As cancel(id) then push(at, kind, a, b), in one sift when event `id` is
  // still queued (it keeps its id then; it takes a new sequence number
  // either way, so the order of events is the same as cancel and push's).
  EventId reschedule(EventId id, TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b = 0);
  // The event pop() would return.
  Event top() const { return fifo_first() ? fifo_.front() : event_of(heap_.front()); }
  bool empty() const { return heap_.empty() && fifo_.empty(); }
  std::size_t size() const { return heap_.size() + fifo_.size(); }

 private:
  // The heap holds only what orders events (24 bytes), so sifting moves
  // little; the rest of an event waits in its slot.
  struct Entry {
    TrueTime at;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct Slot {
    std::uint32_t position = 0;    // index in heap_ while queued
    std::uint32_t generation = 1;  // bumped when the event leaves
    EventKind kind = EventKind::callback;
    std::uint64_t a = 0;
    std::uint64_t b = 0;
  };

  static bool before(const Entry& x, const Entry& y) {
    return x.at != y.at ? x.at < y.at : x.seq < y.seq;
  }
  Event event_of(const Entry& e) const {
    const Slot& slot = slots_[e.slot];
    return Event{e.at, e.seq, slot.kind, slot.a, slot.b};
  }
  void place(std::size_t at, Entry entry) {
    slots_[entry.slot].position = static_cast<std::uint32_t>(at);
    heap_[at] = entry;
  }
  void sift_up(std::size_t at, Entry entry);
  void sift_down(std::size_t at, Entry entry);
  void remove_at(std::size_t at);
  Event pop_heap();
  // Whether the next event is the FIFO's front (false if the FIFO is empty).
  bool fifo_first() const {
    if (fifo_.empty()) return false;
    if (heap_.empty()) return true;
    const Event& f = fifo_.front();
    const Entry& h = heap_.front();
    return f.at != h.at ? f.at < h.at : f.seq < h.seq;
  }

  detail::RingQueue<Event> fifo_;  // uncancellable events, in (time, sequence) order
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace locklab::sim
