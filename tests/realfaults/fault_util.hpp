// tests/realfaults/fault_util.hpp — what the real-fault tests share: a
// server's or deployment's endpoints for hiredis::Backend, and a one-line
// account of an acquire result for failure messages.
#pragma once

#include <string>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/realserver/deployment.hpp"

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

inline std::string show(const lock::NodeResult& r) {
  if (r) return lock::to_display(*r);
  return std::string(lock::name_of(r.error().kind)) +
         (r.error().maybe_applied ? " (maybe applied): " : " (not applied): ") + r.error().detail;
}

// "timed_out after 3 attempts (granted by 2 of 5 ...): node 0 ..., node 1 ..."
template <typename Result>
std::string show(const Result& r) {
  std::string s = std::string(lock::name_of(r.outcome)) + " (" + r.detail + "):";
  for (const lock::NodeOutcome& n : r.nodes) {
    s += " node " + std::to_string(n.node) + (n.granted ? " granted " : " ") + show(n.result) + ";";
  }
  return s;
}

inline Backend::time_point in(std::chrono::milliseconds d) { return Backend::clock::now() + d; }

}  // namespace locklab::realfaults
