#include "demo.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>

namespace locklab::tools {

using namespace std::chrono_literals;
using sim::Duration;
using sim::true_time;

namespace {

constexpr int kClients = 5;
constexpr Duration kRunFor = 6s;

// One connection of the echo server: answer "req N" with "ok N" until the
// client goes away.
void serve_connection(sim::Socket socket, std::uint64_t& requests) {
  for (;;) {
    sim::SimResult<std::string> request = socket.recv();
    if (!request) return;
    ++requests;
    if (!socket.send("ok " + request->substr(4))) return;
  }
}

void run_server(sim::Process& self, std::uint64_t& requests) {
  sim::Listener listener = self.listen();
  for (std::uint64_t n = 0;; ++n) {
    sim::SimResult<sim::Socket> accepted = listener.accept();
    if (!accepted) return;
    auto socket = std::make_shared<sim::Socket>(std::move(*accepted));
    self.spawn(fmt::format("conn-{}", n),
               [socket, &requests] { serve_connection(std::move(*socket), requests); });
  }
}

// A client: request, wait up to 20ms on its own clock, and on a timeout drop
// the connection and open a new one (as hiredis users must).
void run_client(sim::Process& self, sim::ProcessId server, ClientStats& stats) {
  ++stats.incarnations;
  sim::Socket socket;
  for (std::uint64_t i = 0;; ++i) {
    if (!socket.valid()) {
      ++stats.connects;
      sim::SimResult<sim::Socket> opened = self.connect(server, self.now() + 50ms);
      if (!opened) {
        ++stats.errors;
        self.sleep_for(10ms);
        continue;
      }
      socket = std::move(*opened);
    }
    ++stats.sent;
    const std::string id = fmt::format("{}", i);
    sim::SimResult<std::string> reply = std::unexpected(sim::SimError::connection_closed);
    if (sim::SimResult<void> sent = socket.send("req " + id); sent) {
      reply = socket.recv(self.now() + 20ms);
    } else {
      reply = std::unexpected(sent.error());
    }
    if (reply && *reply == "ok " + id) {
      ++stats.answered;
    } else {
      if (!reply && reply.error() == sim::SimError::timed_out) {
        ++stats.timeouts;
      } else {
        ++stats.errors;
      }
      socket.close();
    }
    self.sleep_for(Duration{static_cast<std::int64_t>(self.rng().between(1'000'000, 10'000'000))});
  }
}

sim::FaultSchedule demo_faults(sim::ProcessId server, const std::vector<sim::ProcessId>& c) {
  using namespace sim;
  return {
      {true_time(1000ms), LinkPartition{{c[1]}, {server}, false, PartitionMode::hold}},
      {true_time(1500ms), LinkHeal{{c[1]}, {server}, false}},
      {true_time(2000ms), ProcessPause{server}},
      {true_time(2300ms), ProcessResume{server}},
      {true_time(3000ms), ProcessKill{c[3]}},
      {true_time(3500ms), ProcessRestart{c[3]}},
      {true_time(4000ms), ClockJump{c[0], 50ms}},
      {true_time(4000ms), ClockDriftSet{c[0], -5000}},
      {true_time(4500ms), MessageDelay{c[2], server, 100ms, 1}},
      {true_time(5000ms), LinkPartition{{c[4]}, {server}, true, PartitionMode::reset}},
      {true_time(5200ms), LinkHeal{{c[4]}, {server}, true}},
  };
}

}  // namespace

DemoResult run_demo(const DemoOptions& options) {
  DemoResult result;
  result.seed = options.seed;
  result.order = options.order;
  result.clients.resize(kClients);

  sim::WorldConfig config{.seed = options.seed,
                          .order = options.order,
                          .latency = sim::UniformLatency{100us, 2ms},
                          .trace = {.jsonl = options.trace_jsonl}};
  sim::World world(config);
  const sim::ProcessId server = world.add_process(
      {.name = "server",
       .main = [&requests = result.server_requests](sim::Process& p) { run_server(p, requests); }});
  sim::Rng drift = world.fork_rng("demo/drift");
  std::vector<sim::ProcessId> clients;
  for (int i = 0; i < kClients; ++i) {
    ClientStats& stats = result.clients[i];
    stats.name = fmt::format("client-{}", i + 1);
    clients.push_back(world.add_process(
        {.name = stats.name,
         .clock = {.offset = Duration{drift.between(-5'000'000, 5'000'000)},
                   .drift_ppm = drift.between(-200, 200)},
         .main = [server, &stats](sim::Process& p) { run_client(p, server, stats); }}));
  }
  const sim::FaultSchedule faults = demo_faults(server, clients);
  for (const sim::Fault& f : faults) {
    result.faults.push_back(fmt::format("{:>7}  {}", sim::format_duration(f.at.time_since_epoch()),
                                        world.describe(f.action)));
  }
  world.schedule(faults);
  result.run = world.run_until(true_time(kRunFor));
  result.trace_hash = world.trace().hash();
  result.trace_summary = world.trace().summary();
  return result;
}

std::string format_demo(const DemoResult& r) {
  std::string out = fmt::format("locklab demo — seed {}\n", r.seed);
  out += fmt::format("run: {} at true time {} after {} events{}\n", sim::name_of(r.run.status),
                     sim::format_duration(r.run.now.time_since_epoch()), r.run.events,
                     r.run.detail.empty() ? "" : " (" + r.run.detail + ")");
  out += "faults:\n";
  for (const std::string& f : r.faults) out += "  " + f + "\n";
  out += fmt::format("server answered {} requests\n", r.server_requests);
  out += fmt::format("  {:<10} {:>6} {:>8} {:>8} {:>6} {:>8} {:>6}\n", "client", "sent", "answered",
                     "timeouts", "errors", "connects", "lives");
  for (const ClientStats& c : r.clients) {
    out += fmt::format("  {:<10} {:>6} {:>8} {:>8} {:>6} {:>8} {:>6}\n", c.name, c.sent, c.answered,
                       c.timeouts, c.errors, c.connects, c.incarnations);
  }
  out += r.trace_summary;
  out += fmt::format("replay: locklab core-demo --seed {}{}\n", r.seed,
                     r.order == sim::ReadyOrder::random ? " --order random" : "");
  return out;
}

}  // namespace locklab::tools
