// tests/typed/sim_env.hpp — the typed lock suite's simulated environment.
//
// Provides SimEnv<N> (a LockEnv, env.hpp) and its SimContext: each run is a
// fresh World (seed 1, FIFO ready order, 100 µs links) with N simulated
// redis-servers without persistence and one client process, on whose main
// fiber the body runs; the world runs until the body has returned. Every
// client of the context is a sim::LockBackend of that one process (own
// connection pool and in-flight bound); tasks are its fibers.
//
// Faults are the world's own: restart is ProcessKill then ProcessRestart
// (the script cache and every key are gone, connections reset), freeze and
// resume are ProcessPause and ProcessResume (requests queue, nothing is
// dropped).
//
// Deterministic: no real clock, sleep or thread; the same test gives the same
// trace on every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "locklab/sim/lock_backend.hpp"
#include "locklab/sim/world.hpp"
#include "typed/env.hpp"

namespace locklab::typed {

class SimContext {
 public:
  using Backend = sim::LockBackend;

  SimContext(sim::World& world, sim::Process& self, std::vector<sim::ProcessId> nodes);
  SimContext(const SimContext&) = delete;
  SimContext& operator=(const SimContext&) = delete;

  Backend& backend() { return *backend_; }
  Backend& other() { return *other_; }
  Backend& client(ClientOptions options);
  std::size_t nodes() const { return nodes_.size(); }
  Backend::time_point now() const { return self_.now(); }
  void sleep_for(std::chrono::nanoseconds d) { (void)backend_->sleep_for(d); }
  lock::NodeResult raw(std::size_t node, const std::vector<std::string>& argv);
  void restart(std::size_t node);
  void freeze(std::size_t node);
  void resume(std::size_t node);

 private:
  std::unique_ptr<Backend> open(ClientOptions options);

  sim::World& world_;
  sim::Process& self_;
  std::vector<sim::ProcessId> nodes_;
  std::unique_ptr<Backend> observer_;  // for raw(): shares no connection with the clients
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Backend> other_;
  std::deque<std::unique_ptr<Backend>> clients_;
};

// Runs `body` in a fresh world with `nodes` servers; a failed world, or a
// body that does not return within an hour of simulated time, fails the test.
// Returns the world's trace hash (the same body gives the same hash).
std::uint64_t run_sim(std::size_t nodes, const std::function<void(SimContext&)>& body);

template <std::size_t N>
struct SimEnv {
  using Backend = sim::LockBackend;
  using Context = SimContext;
  static constexpr std::size_t kNodes = N;
  static void run(const std::function<void(Context&)>& body) { (void)run_sim(N, body); }
};

static_assert(LockEnv<SimEnv<1>>);

}  // namespace locklab::typed
