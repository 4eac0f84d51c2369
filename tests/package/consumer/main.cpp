// A user's program over the installed production library: a hiredis backend
// for three nodes and a RedLock over it. Constructing the backend resolves
// the addresses and opens no connection, so no Redis server is needed; the
// program proves that the headers compile as a user includes them and that
// the library and its dependencies link.
#include <chrono>
#include <cstdio>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/lock/redlock.hpp"

using namespace locklab;
using namespace std::chrono_literals;

static_assert(lock::Backend<hiredis::Backend>);

int main() {
  hiredis::Backend backend({{.host = "127.0.0.1", .port = 16379},
                            {.host = "127.0.0.1", .port = 16380},
                            {.host = "127.0.0.1", .port = 16381}},
                           {.connect_timeout = 200ms});
  lock::RedLock<hiredis::Backend> redlock(backend, {.ttl = 10s});
  if (backend.node_count() != 3) {
    std::fprintf(stderr, "consumer: expected 3 nodes, got %zu\n", backend.node_count());
    return 1;
  }
  std::printf("consumer: RedLock over %zu nodes, first %s\n", backend.node_count(),
              backend.node_name(0).c_str());
  // The library throws lockimpl's ConfigError; the program catches it by
  // type (across a shared library's boundary too: its typeinfo is exported).
  try {
    hiredis::Backend none(std::vector<hiredis::Endpoint>{});
    std::fprintf(stderr, "consumer: a backend with no endpoints did not throw\n");
    return 1;
  } catch (const lock::ConfigError& e) {
    std::printf("consumer: lock::ConfigError caught: %s\n", e.what());
  }
  return 0;
}
