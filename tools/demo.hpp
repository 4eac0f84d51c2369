// tools/demo.hpp — the small simulation `locklab core-demo` runs (`locklab
// demo` runs headline.hpp's exploration).
//
// An echo server and five clients that send requests with deadlines and
// reconnect after a timeout, under a schedule that exercises every kind of
// fault of the simulation core: a hold-mode partition, a server pause, a
// client kill and restart, a clock jump and drift, a delayed message and a
// reset-mode partition: a tour of the core, and an integration test of it
// (same seed, same trace hash).
//
//   DemoResult r = run_demo({.seed = 42});
//   std::cout << format_demo(r);
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "locklab/sim/world.hpp"

namespace locklab::tools {

struct DemoOptions {
  std::uint64_t seed = 42;
  sim::ReadyOrder order = sim::ReadyOrder::fifo;
  std::ostream* trace_jsonl = nullptr;
};

struct ClientStats {
  std::string name;
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t errors = 0;  // reset, refused, unreachable, closed
  std::uint64_t connects = 0;
  std::uint64_t incarnations = 0;
};

struct DemoResult {
  std::uint64_t seed = 0;
  sim::ReadyOrder order = sim::ReadyOrder::fifo;
  sim::RunResult run;
  std::uint64_t trace_hash = 0;
  std::string trace_summary;
  std::vector<ClientStats> clients;
  std::uint64_t server_requests = 0;
  std::vector<std::string> faults;  // described, in schedule order
};

DemoResult run_demo(const DemoOptions& options);
std::string format_demo(const DemoResult& result);

}  // namespace locklab::tools
