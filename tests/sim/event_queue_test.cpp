// EventQueue: earliest first, ties in push order, operands carried through.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "locklab/sim/event_queue.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;

// A new queue is empty, and size follows pushes and pops.
TEST(EventQueue, SizeFollowsPushAndPop) {
  EventQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  q.push(true_time(1s), EventKind::callback, 0);
  q.push(true_time(2s), EventKind::callback, 1);
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.size(), 2u);
  q.pop();
  EXPECT_EQ(q.size(), 1u);
  q.pop();
  EXPECT_TRUE(q.empty());
}

// Events come out earliest first whatever order they were pushed in, and
// top() shows the one pop() will return.
TEST(EventQueue, PopsEarliestFirst) {
  EventQueue q;
  const std::vector<int> order = {5, 1, 9, 3, 7, 2, 8, 0, 6, 4};
  for (int ms : order) {
    q.push(true_time(std::chrono::milliseconds(ms)), EventKind::fiber_timer,
           static_cast<std::uint64_t>(ms));
  }
  for (int expected = 0; expected < 10; ++expected) {
    ASSERT_FALSE(q.empty());
    EXPECT_EQ(q.top().at, true_time(std::chrono::milliseconds(expected)));
    const Event e = q.pop();
    EXPECT_EQ(e.at, true_time(std::chrono::milliseconds(expected)));
    EXPECT_EQ(e.a, static_cast<std::uint64_t>(expected));
  }
  EXPECT_TRUE(q.empty());
}

// Events at the same instant pop in the order they were pushed, carrying
// increasing sequence numbers, even when interleaved with other times.
TEST(EventQueue, EqualTimesPopInPushOrder) {
  EventQueue q;
  for (std::uint64_t i = 0; i < 50; ++i) {
    q.push(true_time(i % 2 == 0 ? 1s : 2s), EventKind::callback, i);
  }
  std::vector<std::uint64_t> popped;
  Event previous{};
  while (!q.empty()) {
    const Event e = q.pop();
    if (!popped.empty() && e.at == previous.at) {
      EXPECT_GT(e.seq, previous.seq) << "within one instant the sequence must rise";
    }
    previous = e;
    popped.push_back(e.a);
  }
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 0; i < 50; i += 2) expected.push_back(i);
  for (std::uint64_t i = 1; i < 50; i += 2) expected.push_back(i);
  EXPECT_EQ(popped, expected);
}

// Sequence numbers are assigned at push, from zero, one per push, and kind
// and both operands come back unchanged.
TEST(EventQueue, CarriesSequenceKindAndOperands) {
  EventQueue q;
  q.push(true_time(3s), EventKind::pipe_deliver, 11, 22);
  q.push(true_time(1s), EventKind::fault, 33);
  q.push(true_time(2s), EventKind::fiber_timer, ~std::uint64_t{0}, 44);
  Event e = q.pop();
  EXPECT_EQ(e.seq, 1u);
  EXPECT_EQ(e.kind, EventKind::fault);
  EXPECT_EQ(e.a, 33u);
  EXPECT_EQ(e.b, 0u);
  e = q.pop();
  EXPECT_EQ(e.seq, 2u);
  EXPECT_EQ(e.kind, EventKind::fiber_timer);
  EXPECT_EQ(e.a, ~std::uint64_t{0});
  EXPECT_EQ(e.b, 44u);
  e = q.pop();
  EXPECT_EQ(e.seq, 0u);
  EXPECT_EQ(e.kind, EventKind::pipe_deliver);
  EXPECT_EQ(e.a, 11u);
  EXPECT_EQ(e.b, 22u);
}

// An event pushed after some were popped, at an instant equal to one still
// queued, comes after it (the sequence keeps counting across pops).
TEST(EventQueue, SequenceContinuesAcrossPops) {
  EventQueue q;
  q.push(true_time(1s), EventKind::callback, 0);
  q.push(true_time(5s), EventKind::callback, 1);
  EXPECT_EQ(q.pop().a, 0u);
  q.push(true_time(5s), EventKind::callback, 2);
  q.push(true_time(4s), EventKind::callback, 3);
  EXPECT_EQ(q.pop().a, 3u);
  const Event first = q.pop();
  const Event second = q.pop();
  EXPECT_EQ(first.a, 1u);
  EXPECT_EQ(second.a, 2u);
  EXPECT_LT(first.seq, second.seq);
}

// A cancelled event never fires; cancelling it again, or cancelling one
// that already fired after its slot was reused, does nothing.
TEST(EventQueue, CancelRemovesTheEventOnce) {
  EventQueue q;
  const EventId early = q.push(true_time(1s), EventKind::fiber_timer, 1);
  const EventId late = q.push(true_time(2s), EventKind::fiber_timer, 2);
  EXPECT_TRUE(q.cancel(early));
  EXPECT_FALSE(q.cancel(early));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.top().a, 2u);
  EXPECT_EQ(q.pop().a, 2u);
  q.push(true_time(3s), EventKind::fiber_timer, 3);  // reuses a freed slot
  EXPECT_FALSE(q.cancel(late));
  EXPECT_FALSE(q.cancel(EventId{}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.pop().a, 3u);
}

}  // namespace
}  // namespace locklab::sim
