#include "servers.hpp"

#include "affinity.hpp"
#include "locklab/realserver/server.hpp"

namespace locklab::bench_real {

Servers::Servers(std::size_t count, int server_core, int client_core) {
  // realserver::Server forks from this thread: while it is pinned to the server
  // core, each server (and every thread it starts) inherits that core.
  pin_this_thread(server_core);
  try {
    for (std::size_t i = 0; i < count; ++i) {
      processes_.push_back(std::make_unique<realserver::Server>());
    }
  } catch (...) {
    pin_this_thread(client_core);
    throw;
  }
  pin_this_thread(client_core);
}

Servers::~Servers() = default;

int Servers::port(std::size_t i) const { return processes_.at(i)->port(); }

std::vector<int> Servers::ports() const {
  std::vector<int> out;
  for (const auto& p : processes_) out.push_back(p->port());
  return out;
}

}  // namespace locklab::bench_real
