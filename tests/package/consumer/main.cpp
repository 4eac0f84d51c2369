// A user's program over the installed production library: a hiredis backend
// for three nodes and a RedLock over it. Constructing the backend resolves
// the addresses and opens no connection, so no Redis server is needed; the
// program proves that the headers compile as a user includes them and that
// the library and its dependencies link.
#include <chrono>
#include <cstdio>

#include "locklab/hiredis/backend.hpp"
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
  return 0;
}
