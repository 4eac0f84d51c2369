// tests/hiredis/test_util.hpp — small helpers shared by the real-server
// tests: endpoints for a realserver::Server, a result printer, thread counting.
#pragma once

#include <dirent.h>

#include <chrono>
#include <string>

#include "locklab/hiredis/backend.hpp"
#include "../support/lock_text.hpp"  // show()
#include "locklab/realserver/ports.hpp"
#include "locklab/realserver/server.hpp"

namespace locklab::hiredis_test {

using namespace std::chrono_literals;

inline hiredis::Endpoint tcp(const realserver::Server& server) {
  return {.host = realserver::Server::host(), .port = server.port()};
}

using test_support::show;

// Threads of this process right now (entries of /proc/self/task).
inline int thread_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
  }
  return n;
}

inline hiredis::Backend::time_point in(std::chrono::milliseconds d) {
  return hiredis::Backend::clock::now() + d;
}

}  // namespace locklab::hiredis_test
