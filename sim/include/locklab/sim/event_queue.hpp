// locklab/sim/event_queue.hpp — the world's agenda of future events.
//
// Provides EventQueue: a binary min-heap of Events ordered by (true time,
// sequence number). The sequence number is assigned at push, so two events at
// the same instant fire in the order they were scheduled: ties never depend on
// heap internals or addresses.
//
// An Event is a small value (kind and two operands); what it means is up to
// the World, which dispatches on the kind. There is no cancellation: a timer
// that is no longer wanted is recognised as stale when it fires (its operands
// carry a generation number), which keeps push and pop O(log n) and allocation
// free in the steady state.
//
//   EventQueue q;
//   q.push(t, EventKind::fiber_timer, handle, generation);
//   while (!q.empty()) { Event e = q.pop(); ... }
#pragma once

#include <cstdint>
#include <vector>

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

class EventQueue {
 public:
  void push(TrueTime at, EventKind kind, std::uint64_t a, std::uint64_t b = 0);
  Event pop();
  const Event& top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }

 private:
  static bool before(const Event& x, const Event& y) {
    return x.at != y.at ? x.at < y.at : x.seq < y.seq;
  }
  std::vector<Event> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace locklab::sim
