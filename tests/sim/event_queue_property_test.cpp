// Properties of EventQueue: whatever is pushed, and however pushes and pops
// interleave, events come out in (time, insertion order) — the stable sort
// by time — never depending on heap internals.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "locklab/sim/event_queue.hpp"

namespace locklab::sim {
namespace {

// Times from a tiny range (many ties) or a wide one.
rc::Gen<std::int64_t> time_gen() {
  return rc::gen::weightedOneOf<std::int64_t>({
      {3, rc::gen::inRange<std::int64_t>(0, 4)},
      {1, rc::gen::inRange<std::int64_t>(0, 1'000'000'000'000)},
  });
}

// Pushing any sequence and then draining yields exactly the stable sort of
// the pushes by time; each event keeps its operands and its push index as
// sequence number.
RC_GTEST_PROP(EventQueueProperty, DrainIsTheStableSortByTime, ()) {
  const auto times = *rc::gen::container<std::vector<std::int64_t>>(time_gen());
  EventQueue q;
  std::vector<std::pair<std::int64_t, std::uint64_t>> pushed;  // (time, index)
  for (std::uint64_t i = 0; i < times.size(); ++i) {
    q.push(TrueTime{Duration{times[i]}}, EventKind::callback, i, ~i);
    pushed.emplace_back(times[i], i);
  }
  RC_ASSERT(q.size() == times.size());
  std::stable_sort(pushed.begin(), pushed.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [time, index] : pushed) {
    RC_ASSERT(!q.empty());
    const Event e = q.pop();
    RC_ASSERT(nanos(e.at) == time);
    RC_ASSERT(e.a == index);
    RC_ASSERT(e.b == ~index);
    RC_ASSERT(e.seq == index);
  }
  RC_ASSERT(q.empty());
}

// With pushes and pops interleaved at random, every pop returns the earliest
// event still queued, ties going to the one pushed first: the same as a
// model that keeps (time, insertion index) pairs ordered.
RC_GTEST_PROP(EventQueueProperty, InterleavedPopsMatchTheModel, ()) {
  EventQueue q;
  std::set<std::pair<std::int64_t, std::uint64_t>> model;
  std::uint64_t next_index = 0;
  const int ops = *rc::gen::inRange(0, 300);
  for (int i = 0; i < ops; ++i) {
    const bool pop = !model.empty() && *rc::gen::inRange(0, 3) == 0;
    if (pop) {
      RC_ASSERT(nanos(q.top().at) == model.begin()->first);
      const Event e = q.pop();
      RC_ASSERT(nanos(e.at) == model.begin()->first);
      RC_ASSERT(e.a == model.begin()->second);
      RC_ASSERT(e.seq == model.begin()->second);
      model.erase(model.begin());
    } else {
      const std::int64_t t = *time_gen();
      q.push(TrueTime{Duration{t}}, EventKind::fiber_timer, next_index);
      model.emplace(t, next_index);
      ++next_index;
    }
    RC_ASSERT(q.size() == model.size());
  }
  while (!model.empty()) {
    const Event e = q.pop();
    RC_ASSERT(nanos(e.at) == model.begin()->first);
    RC_ASSERT(e.a == model.begin()->second);
    model.erase(model.begin());
  }
  RC_ASSERT(q.empty());
}

// Pushes, pops and cancels interleaved at random: a cancelled event never
// comes out, the others still come out earliest first with ties in push
// order, and cancelling an event that already left (popped or cancelled,
// its slot perhaps reused since) changes nothing.
RC_GTEST_PROP(EventQueueProperty, CancelRemovesOnlyItsEvent, ()) {
  EventQueue q;
  std::set<std::pair<std::int64_t, std::uint64_t>> model;
  std::vector<std::pair<EventId, std::pair<std::int64_t, std::uint64_t>>> pushed;
  std::uint64_t next_index = 0;
  const int ops = *rc::gen::inRange(0, 300);
  for (int i = 0; i < ops; ++i) {
    const int op = *rc::gen::inRange(0, 4);
    if (op == 0 && !model.empty()) {
      const Event e = q.pop();
      RC_ASSERT(e.a == model.begin()->second);
      model.erase(model.begin());
    } else if (op == 1 && !pushed.empty()) {
      const auto& [id, key] = pushed[*rc::gen::inRange<std::size_t>(0, pushed.size())];
      const bool queued = model.contains(key);
      RC_ASSERT(q.cancel(id) == queued);
      model.erase(key);
    } else {
      const std::int64_t t = *time_gen();
      const EventId id = q.push(TrueTime{Duration{t}}, EventKind::fiber_timer, next_index);
      pushed.emplace_back(id, std::pair{t, next_index});
      model.emplace(t, next_index);
      ++next_index;
    }
    RC_ASSERT(q.size() == model.size());
    if (!model.empty()) RC_ASSERT(q.top().a == model.begin()->second);
  }
  while (!model.empty()) {
    const Event e = q.pop();
    RC_ASSERT(nanos(e.at) == model.begin()->first);
    RC_ASSERT(e.a == model.begin()->second);
    model.erase(model.begin());
  }
  RC_ASSERT(q.empty());
}

// reschedule(id, ...) is cancel(id) then push(...): a queue that reschedules
// and one that cancels and pushes pop the same events, sequence numbers
// included, whatever happened to `id` before (queued, popped, cancelled, or
// its slot reused).
RC_GTEST_PROP(EventQueueProperty, RescheduleIsCancelThenPush, ()) {
  EventQueue moved;
  EventQueue pushed;
  std::vector<std::pair<EventId, EventId>> ids;  // (in moved, in pushed)
  std::uint64_t next_index = 0;
  const int ops = *rc::gen::inRange(0, 300);
  for (int i = 0; i < ops; ++i) {
    const int op = *rc::gen::inRange(0, 5);
    if (op == 0 && !moved.empty()) {
      const Event x = moved.pop();
      const Event y = pushed.pop();
      RC_ASSERT(x.at == y.at && x.seq == y.seq && x.a == y.a && x.b == y.b);
    } else if (op == 1 && !ids.empty()) {
      const auto& [x, y] = ids[*rc::gen::inRange<std::size_t>(0, ids.size())];
      RC_ASSERT(moved.cancel(x) == pushed.cancel(y));
    } else if (op == 2 && !ids.empty()) {
      auto& [x, y] = ids[*rc::gen::inRange<std::size_t>(0, ids.size())];
      const TrueTime t{Duration{*time_gen()}};
      x = moved.reschedule(x, t, EventKind::fiber_timer, next_index, next_index + 1);
      pushed.cancel(y);
      y = pushed.push(t, EventKind::fiber_timer, next_index, next_index + 1);
      ++next_index;
    } else {
      const TrueTime t{Duration{*time_gen()}};
      ids.emplace_back(moved.push(t, EventKind::fiber_timer, next_index),
                       pushed.push(t, EventKind::fiber_timer, next_index));
      ++next_index;
    }
    RC_ASSERT(moved.size() == pushed.size());
    if (!moved.empty()) RC_ASSERT(moved.top().seq == pushed.top().seq);
  }
  while (!moved.empty()) {
    const Event x = moved.pop();
    const Event y = pushed.pop();
    RC_ASSERT(x.at == y.at && x.seq == y.seq && x.a == y.a && x.b == y.b);
  }
  RC_ASSERT(pushed.empty());
}

// push_uncancellable() is push() for what happens next: a queue that takes
// some events that way (most of them into its FIFO, when their times come in
// order; into the heap otherwise) pops exactly what a queue of push()es
// alone pops, sequence numbers included, with cancels and reschedules of the
// other events interleaved. Times drift upward, as a world's do, with
// arrivals sometimes earlier than the last (a random latency).
RC_GTEST_PROP(EventQueueProperty, FifoPathKeepsTheHeapOrder, ()) {
  EventQueue mixed;
  EventQueue heap_only;
  std::vector<std::pair<EventId, EventId>> ids;  // cancellable events (in mixed, in heap_only)
  std::int64_t now = 0;
  std::uint64_t next_index = 0;
  const int ops = *rc::gen::inRange(0, 400);
  const auto check_top = [&] {
    RC_ASSERT(mixed.size() == heap_only.size());
    RC_ASSERT(mixed.empty() == heap_only.empty());
    if (!mixed.empty()) {
      const Event x = mixed.top();
      const Event y = heap_only.top();
      RC_ASSERT(x.at == y.at && x.seq == y.seq && x.kind == y.kind && x.a == y.a && x.b == y.b);
    }
  };
  for (int i = 0; i < ops; ++i) {
    const int op = *rc::gen::inRange(0, 6);
    if (op <= 1 && !mixed.empty()) {
      const Event x = mixed.pop();
      const Event y = heap_only.pop();
      RC_ASSERT(x.at == y.at && x.seq == y.seq && x.kind == y.kind && x.a == y.a && x.b == y.b);
      now = std::max(now, nanos(x.at));
    } else if (op == 2 && !ids.empty()) {
      auto& [x, y] = ids[*rc::gen::inRange<std::size_t>(0, ids.size())];
      if (*rc::gen::arbitrary<bool>()) {
        RC_ASSERT(mixed.cancel(x) == heap_only.cancel(y));
      } else {
        const TrueTime t{Duration{now + *rc::gen::inRange<std::int64_t>(0, 50)}};
        x = mixed.reschedule(x, t, EventKind::fiber_timer, next_index);
        heap_only.cancel(y);
        y = heap_only.push(t, EventKind::fiber_timer, next_index);
        ++next_index;
      }
    } else if (op == 3) {
      const TrueTime t{Duration{now + *rc::gen::inRange<std::int64_t>(0, 50)}};
      ids.emplace_back(mixed.push(t, EventKind::fiber_timer, next_index),
                       heap_only.push(t, EventKind::fiber_timer, next_index));
      ++next_index;
    } else {
      const TrueTime t{Duration{now + *rc::gen::weightedOneOf<std::int64_t>(
                                          {{4, rc::gen::just<std::int64_t>(10)},
                                           {1, rc::gen::inRange<std::int64_t>(0, 20)}})}};
      mixed.push_uncancellable(t, EventKind::pipe_deliver, next_index, ~next_index);
      heap_only.push(t, EventKind::pipe_deliver, next_index, ~next_index);
      ++next_index;
    }
    check_top();
  }
  while (!mixed.empty()) {
    const Event x = mixed.pop();
    const Event y = heap_only.pop();
    RC_ASSERT(x.at == y.at && x.seq == y.seq && x.kind == y.kind && x.a == y.a && x.b == y.b);
  }
  RC_ASSERT(heap_only.empty());
}

}  // namespace
}  // namespace locklab::sim
