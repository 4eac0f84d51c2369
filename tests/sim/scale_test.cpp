// Scale: a world with 10,000 processes runs to completion. Stacks are pooled
// (guarded under sanitizers) and sized so this fits comfortably in memory.
#include <gtest/gtest.h>

#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;

// Ten thousand clients each open a connection to one of ten servers, make
// three requests with sleeps in between, and exit. Every request is answered
// and the world ends idle with no fiber left.
TEST(Scale, TenThousandProcessesRunToCompletion) {
  constexpr int kServers = 10;
  constexpr int kClients = 10'000;
  World world({.seed = 3, .latency = UniformLatency{50us, 500us}});
  std::vector<ProcessId> servers;
  for (int s = 0; s < kServers; ++s) {
    servers.push_back(world.add_process(
        {.name = "server-" + std::to_string(s), .main = [](Process& p) {
           Listener listener = p.listen();
           for (;;) {
             auto accepted = listener.accept();
             if (!accepted) return;
             auto socket = std::make_shared<Socket>(std::move(*accepted));
             p.spawn("conn", [socket] {
               while (auto request = socket->recv()) {
                 if (!socket->send(*request)) return;
               }
             });
           }
         }}));
  }
  int answered = 0;
  for (int c = 0; c < kClients; ++c) {
    world.add_process({.name = "client-" + std::to_string(c),
                       .main = [&answered, server = servers[c % kServers]](Process& p) {
                         (void)p.sleep_for(Duration{p.rng().between(0, 10'000'000)});
                         auto socket = p.connect(server, p.now() + 1s);
                         ASSERT_TRUE(socket);
                         for (int i = 0; i < 3; ++i) {
                           ASSERT_TRUE(socket->send("ping"));
                           auto reply = socket->recv(p.now() + 1s);
                           ASSERT_TRUE(reply);
                           ++answered;
                           (void)p.sleep_for(1ms);
                         }
                       }});
  }
  // Idle: every client is done and the servers wait for connections that
  // will never come.
  RunResult r = world.run_until(true_time(10s));
  EXPECT_EQ(r.status, RunStatus::idle);
  EXPECT_EQ(answered, 3 * kClients);
  EXPECT_EQ(world.trace().count(TraceKind::process_exit), static_cast<std::uint64_t>(kClients));
  // Only the servers' accept loops are left (client connections closed, so
  // every per-connection fiber ended).
  EXPECT_EQ(world.live_fibers(), static_cast<std::size_t>(kServers));
}

}  // namespace
}  // namespace locklab::sim
