// locklab/sim/detail/ring_queue.hpp — a FIFO queue in one growable ring.
//
// Provides RingQueue<T>: push_back, pop_front, front, back, iteration front
// to back, clear. Why not std::deque: a queue that is pushed and popped
// forever (a connection's messages in flight, its inbox, the event queue's
// FIFO) makes std::deque allocate a chunk and free another every few
// elements; a ring reuses its slots and allocates only when it grows. The
// capacity is a power of two, so positions wrap with a mask.
//
//   RingQueue<std::string> q;
//   q.push_back("a");
//   std::string first = std::move(q.front());
//   q.pop_front();
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>

#include "locklab/assert.hpp"

namespace locklab::sim::detail {

template <typename T>
class RingQueue {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  T& front() {
    LOCKLAB_ASSERT(size_ > 0, "front of an empty ring queue");
    return slots_[head_];
  }
  const T& front() const {
    LOCKLAB_ASSERT(size_ > 0, "front of an empty ring queue");
    return slots_[head_];
  }
  T& back() {
    LOCKLAB_ASSERT(size_ > 0, "back of an empty ring queue");
    return slots_[(head_ + size_ - 1) & mask_];
  }
  const T& back() const {
    LOCKLAB_ASSERT(size_ > 0, "back of an empty ring queue");
    return slots_[(head_ + size_ - 1) & mask_];
  }

  void push_back(T&& value) {
    if (size_ == capacity()) grow();
    slots_[(head_ + size_) & mask_] = std::move(value);
    ++size_;
  }
  void push_back(const T& value) { push_back(T(value)); }

  // The slot keeps its (usually moved-from) value until it is reused.
  void pop_front() {
    LOCKLAB_ASSERT(size_ > 0, "pop_front of an empty ring queue");
    head_ = (head_ + 1) & mask_;
    --size_;
  }

  // Empties the queue and drops what the slots held.
  void clear() {
    for (std::size_t i = 0; i < capacity(); ++i) slots_[i] = T{};
    head_ = 0;
    size_ = 0;
  }

  template <typename Queue, typename Value>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = Value*;
    using reference = Value&;
    Iterator() = default;
    Iterator(Queue* queue, std::size_t index) : queue_(queue), index_(index) {}
    reference operator*() const { return queue_->slots_[(queue_->head_ + index_) & queue_->mask_]; }
    pointer operator->() const { return &**this; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++index_;
      return before;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    Queue* queue_ = nullptr;
    std::size_t index_ = 0;
  };
  using iterator = Iterator<RingQueue, T>;
  using const_iterator = Iterator<const RingQueue, const T>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  std::size_t capacity() const { return slots_ ? mask_ + 1 : 0; }

  // Doubles the ring (from 4), the elements moved to its start in order.
  void grow() {
    const std::size_t bigger_capacity = slots_ ? 2 * capacity() : 4;
    auto bigger = std::make_unique<T[]>(bigger_capacity);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[(head_ + i) & mask_]);
    slots_ = std::move(bigger);
    mask_ = bigger_capacity - 1;
    head_ = 0;
  }

  // A power of two of slots (or none yet); indexed through mask_ rather than
  // a vector, whose size() divides by the element size on every access.
  std::unique_ptr<T[]> slots_;
  std::size_t mask_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace locklab::sim::detail
