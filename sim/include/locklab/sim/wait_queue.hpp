// locklab/sim/wait_queue.hpp — fibers waiting for something in a world.
//
// Provides WaitQueue, the one blocking primitive of the simulator: a fiber
// parks on a queue (with an optional deadline on its own clock) and is woken
// by World::notify_one/notify_all, by its deadline, or by a kill. Sockets,
// listeners and Signal are built on it. It is owned by whatever the fibers
// wait on; destroying it wakes the remaining waiters (a spurious wake-up,
// which every caller re-checks for).
#pragma once

#include <vector>

#include "locklab/sim/detail/fiber_table.hpp"

namespace locklab::sim {

class World;

class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  ~WaitQueue();

  bool empty() const { return waiters_.empty(); }

 private:
  friend class World;
  World* world_ = nullptr;
  std::vector<FiberHandle> waiters_;
};

}  // namespace locklab::sim
