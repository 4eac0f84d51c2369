// bench/real/servers.hpp — the redis-servers the real-server benchmark talks
// to, started on loopback and pinned to the server core.
//
// The one place that knows how a server is started (locklab::realserver).
//
//   Servers servers(5, /*server_core=*/1, /*client_core=*/0);
//   hiredis::Backend backend({{.port = servers.port(0)}});
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace locklab::realserver {
class Server;
}

namespace locklab::bench_real {

class Servers {
 public:
  // Starts `count` servers (persistence off) whose processes run on
  // `server_core` only; the calling thread is left pinned to `client_core`.
  // Throws if a server does not come up.
  Servers(std::size_t count, int server_core, int client_core);
  ~Servers();
  Servers(const Servers&) = delete;
  Servers& operator=(const Servers&) = delete;

  std::size_t size() const { return processes_.size(); }
  int port(std::size_t i) const;
  std::vector<int> ports() const;

 private:
  std::vector<std::unique_ptr<realserver::Server>> processes_;
};

}  // namespace locklab::bench_real
