// The typed lock suite's simulated environment (sim_env.hpp).
#include "typed/sim_env.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "locklab/sim/redis/server.hpp"

namespace locklab::typed {

SimContext::SimContext(sim::World& world, sim::Process& self, std::vector<sim::ProcessId> nodes)
    : world_(world), self_(self), nodes_(std::move(nodes)) {
  observer_ = open({});
  backend_ = open({});
  other_ = open({});
}

// A backend with a connection to every node already open, one node at a
// time so that a bound of one request in flight needs no slot twice.
std::unique_ptr<SimContext::Backend> SimContext::open(ClientOptions options) {
  auto b = std::make_unique<Backend>(self_, nodes_,
                                     sim::LockBackendOptions{.max_in_flight = options.max_in_flight});
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    const lock::NodeResult pong = b->call(n, {"PING"}, now() + std::chrono::seconds(1));
    if (!pong) throw std::runtime_error("node " + std::to_string(n) + " did not answer PING: " + show(pong));
  }
  return b;
}

SimContext::Backend& SimContext::client(ClientOptions options) {
  clients_.push_back(open(options));
  return *clients_.back();
}

lock::NodeResult SimContext::raw(std::size_t node, const std::vector<std::string>& argv) {
  const lock::Command command(argv.begin(), argv.end());
  return observer_->call(node, command, now() + std::chrono::seconds(2));
}

void SimContext::restart(std::size_t node) {
  const sim::ProcessId id = nodes_.at(node);
  world_.apply(sim::ProcessKill{id});
  // The killed server's fibers unwind when they next run; a restart before
  // that would find its last incarnation still alive.
  sleep_for(std::chrono::milliseconds(1));
  world_.apply(sim::ProcessRestart{id});
}

void SimContext::freeze(std::size_t node) { world_.apply(sim::ProcessPause{nodes_.at(node)}); }
void SimContext::resume(std::size_t node) { world_.apply(sim::ProcessResume{nodes_.at(node)}); }

std::uint64_t run_sim(std::size_t nodes, const std::function<void(SimContext&)>& body) {
  sim::World world({.seed = 1});
  std::vector<sim::ProcessId> redis;
  for (std::size_t i = 0; i < nodes; ++i) {
    redis.push_back(world.add_process(sim::redis::redis_server("redis-" + std::to_string(i))));
  }
  bool returned = false;
  world.add_process({.name = "client", .main = [&](sim::Process& p) {
                       {
                         SimContext ctx(world, p, redis);
                         body(ctx);
                       }
                       returned = true;
                     }});
  // The servers' expiry cycles keep the world busy for ever: run it in
  // steps until the client is done.
  const sim::TrueTime limit = sim::true_time(std::chrono::hours(1));
  while (!returned && world.true_now() < limit) {
    const sim::RunResult r = world.run_for(std::chrono::milliseconds(100));
    if (r.status == sim::RunStatus::failed || r.status == sim::RunStatus::budget_exhausted) {
      ADD_FAILURE() << "the world stopped: " << sim::name_of(r.status) << ": " << r.detail;
      return world.trace().hash();
    }
    if (r.status == sim::RunStatus::idle) break;
  }
  EXPECT_TRUE(returned) << "the client did not finish (world at "
                        << sim::format_duration(world.true_now().time_since_epoch()) << ")";
  return world.trace().hash();
}

}  // namespace locklab::typed
