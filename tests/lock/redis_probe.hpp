// tests/lock/redis_probe.hpp — looking at the Redis nodes behind a lock's
// back, for the lock tests.
//
// Provides raw_call (one command on a fresh sim::redis::Client, so the look
// shares nothing with the backend under test), warm_up (opens a backend's
// connection to every node and loads the lock scripts there, so that a test's
// timings count only the lock's own round trips), and commands_received (what
// a node was sent, in order, from the world's trace: the simulator's MONITOR;
// the world must keep its trace records). Outcomes print by name in failures.
//
// Deliberately absent: anything a lock could use; these are for assertions.
//
//   auto v = testing::raw_call(p, w.redis[0], {"GET", "job"});   // Reply::nil()
//   for (const auto& [at, argv] : testing::commands_received(w.world, w.redis[0])) ...
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "locklab/lock/outcome.hpp"
#include "locklab/lock/scripts.hpp"
#include "locklab/sim/lock_backend.hpp"
#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/resp.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::testing {

// The reply, or an error reply naming the network error (so a test can
// compare it and a failure prints something readable).
inline sim::redis::Reply raw_call(sim::Process& p, sim::ProcessId node,
                                  const sim::redis::Argv& argv) {
  sim::redis::Client client(p, node);
  sim::SimResult<sim::redis::Reply> r = client.call(argv, p.now() + std::chrono::seconds(5));
  if (!r) return sim::redis::Reply::error("no reply from the node");
  return *r;
}

// Every node answers a PING and has the lock scripts cached; returns false if
// one did not.
inline bool warm_up(sim::LockBackend& b) {
  using namespace std::chrono_literals;
  const auto everywhere = [&](const lock::Command& command) {
    std::vector<std::size_t> nodes;
    for (std::size_t n = 0; n < b.node_count(); ++n) nodes.push_back(n);
    bool ok = true;
    for (const lock::NodeResult& r : b.fan_out(nodes, command, b.now() + 1s)) ok = ok && r.has_value();
    return ok;
  };
  bool ok = everywhere({"PING"});  // one connection per node, opened in parallel
  for (const lock::Script* s : {&lock::scripts::release, &lock::scripts::extend,
                                &lock::scripts::fenced_acquire, &lock::scripts::raise_counter}) {
    ok = everywhere({"SCRIPT", "LOAD", std::string(s->text)}) && ok;
  }
  return ok;
}

struct Received {
  sim::TrueTime at;
  sim::redis::Argv argv;
};

// The commands delivered to `node`, in order (needs trace.keep_records).
inline std::vector<Received> commands_received(const sim::World& world, sim::ProcessId node) {
  std::vector<Received> out;
  for (const sim::TraceRecord& r : world.trace().records()) {
    if (r.kind != sim::TraceKind::deliver || r.process != node) continue;
    if (auto argv = sim::redis::decode_command(r.text)) out.push_back({r.at, std::move(*argv)});
  }
  return out;
}

// Those of them whose first word is `name`.
inline std::vector<Received> commands_received(const sim::World& world, sim::ProcessId node,
                                               const std::string& name) {
  std::vector<Received> out;
  for (Received& r : commands_received(world, node)) {
    if (!r.argv.empty() && r.argv[0] == name) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace locklab::testing

namespace locklab::lock {
// GoogleTest prints outcomes by name.
inline void PrintTo(Outcome o, std::ostream* out) { *out << name_of(o); }
}  // namespace locklab::lock
