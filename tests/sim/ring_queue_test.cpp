// RingQueue (sim/detail/ring_queue.hpp), the FIFO behind a connection's
// messages in flight, its inbox and the event queue's fast path: whatever
// mix of pushes, pops and clears, it holds what a std::deque would, in the
// same order, through every growth and wrap of its ring.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "locklab/sim/detail/ring_queue.hpp"

namespace locklab::sim::detail {
namespace {

template <typename Queue>
std::vector<std::string> contents(const Queue& q) {
  return {q.begin(), q.end()};
}

RC_GTEST_PROP(RingQueueProperty, BehavesAsADeque, ()) {
  RingQueue<std::string> ring;
  std::deque<std::string> model;
  const int ops = *rc::gen::inRange(0, 500);
  int next = 0;
  for (int i = 0; i < ops; ++i) {
    const int op = *rc::gen::inRange(0, 20);
    if (op < 9) {
      // Long enough, now and then, that the string lives on the heap.
      const std::string value = std::to_string(next) + std::string(next % 3 == 0 ? 40 : 0, 'x');
      ++next;
      ring.push_back(value);
      model.push_back(value);
    } else if (op < 19 && !model.empty()) {
      RC_ASSERT(ring.front() == model.front());
      std::string taken = std::move(ring.front());
      ring.pop_front();
      RC_ASSERT(taken == model.front());
      model.pop_front();
    } else if (op == 19) {
      ring.clear();
      model.clear();
    }
    RC_ASSERT(ring.size() == model.size());
    RC_ASSERT(ring.empty() == model.empty());
    if (!model.empty()) {
      RC_ASSERT(ring.front() == model.front());
      RC_ASSERT(ring.back() == model.back());
    }
  }
  RC_ASSERT(contents(ring) == std::vector<std::string>(model.begin(), model.end()));
}

TEST(RingQueue, IteratesFrontToBackAcrossTheWrap) {
  RingQueue<int> q;
  for (int i = 0; i < 4; ++i) q.push_back(i);  // fills the first ring of four
  q.pop_front();
  q.pop_front();
  q.push_back(4);
  q.push_back(5);  // wraps to the ring's start
  std::vector<int> seen;
  for (int& x : q) seen.push_back(x);
  EXPECT_EQ(seen, (std::vector<int>{2, 3, 4, 5}));
  q.push_back(6);  // grows, unwrapping in order
  seen.clear();
  for (const int x : std::as_const(q)) seen.push_back(x);
  EXPECT_EQ(seen, (std::vector<int>{2, 3, 4, 5, 6}));
  for (int& x : q) x *= 10;  // elements are writable in place
  EXPECT_EQ(q.front(), 20);
  EXPECT_EQ(q.back(), 60);
}

}  // namespace
}  // namespace locklab::sim::detail
