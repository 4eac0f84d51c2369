// tests/lock/lock_world.hpp — a world with Redis nodes and lock clients, for
// the lock tests: each client gets a sim::LockBackend over every node.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "locklab/sim/lock_backend.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::testing {

struct LockWorld {
  explicit LockWorld(int nodes, sim::WorldConfig config = {},
                     sim::redis::ServerOptions server = {})
      : world(std::move(config)) {
    for (int i = 0; i < nodes; ++i) {
      redis.push_back(world.add_process(sim::redis::redis_server("redis-" + std::to_string(i), server)));
    }
  }

  using Body = std::function<void(sim::Process&, sim::LockBackend&)>;
  sim::ProcessId client(std::string name, Body body, sim::ClockSpec clock = {}) {
    return world.add_process({.name = std::move(name), .clock = clock,
                              .main = [this, body = std::move(body)](sim::Process& p) {
                                sim::LockBackend backend(p, redis);
                                body(p, backend);
                              }});
  }

  sim::World world;
  std::vector<sim::ProcessId> redis;
};

}  // namespace locklab::testing
