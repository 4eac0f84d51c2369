// tests/realfaults/fault_util.hpp — what the real-fault tests share: a
// server's or deployment's endpoints for hiredis::Backend, and a one-line
// account of an acquire result for failure messages.
#pragma once

#include <string>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/realserver/deployment.hpp"
#include "../support/lock_text.hpp"  // show()

namespace locklab::realfaults {

using namespace std::chrono_literals;
using hiredis::Backend;

inline hiredis::Endpoint endpoint(const realserver::Server& server) {
  return {.host = realserver::Server::host(), .port = server.port()};
}

inline std::vector<hiredis::Endpoint> endpoints(const realserver::Deployment& d) {
  std::vector<hiredis::Endpoint> out;
  for (std::size_t i = 0; i < d.masters(); ++i) out.push_back(endpoint(d.master(i)));
  return out;
}

using test_support::show;

inline Backend::time_point in(std::chrono::milliseconds d) { return Backend::clock::now() + d; }

}  // namespace locklab::realfaults
