// tests/interop/servers.hpp — N real redis-server processes on loopback for
// the interoperability tests, and a raw client to read what each holds.
//
// The only file of tests/interop that knows how servers are started
// (locklab::realserver).
//
// Provides Servers: start n servers, their ports, endpoints for
// hiredis::Backend, and raw_get(node, key) — a plain GET, the ground truth
// the tests compare each library's claims with.
//
//   Servers servers(3);
//   hiredis::Backend backend(servers.endpoints());
//   EXPECT_EQ(servers.raw_get(0, "orders"), token);
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/realserver/server.hpp"

namespace locklab::interop_test {

// The TTL of every interop lock: far longer than a test, so nothing expires
// under it.
inline constexpr std::chrono::seconds kTtl{30};

// A deadline `d` from now, on the backend's clock.
inline hiredis::Backend::time_point in(std::chrono::milliseconds d) {
  return hiredis::Backend::clock::now() + d;
}

class Servers {
 public:
  explicit Servers(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) processes_.push_back(std::make_unique<realserver::Server>());
    reader_ = std::make_unique<hiredis::Backend>(endpoints());
  }

  std::vector<int> ports() const {
    std::vector<int> v;
    for (const auto& p : processes_) v.push_back(p->port());
    return v;
  }
  int port(std::size_t node) const { return processes_.at(node)->port(); }

  std::vector<hiredis::Endpoint> endpoints() const {
    std::vector<hiredis::Endpoint> v;
    for (int p : ports()) v.push_back({.host = "127.0.0.1", .port = p});
    return v;
  }

  // GET key on one server: its value, or nullopt when the key is absent.
  // Throws when the server does not answer: that is no statement about the key.
  std::optional<std::string> raw_get(std::size_t node, const std::string& key) {
    auto r = reader_->call(node, {"GET", key}, hiredis::Backend::clock::now() + std::chrono::seconds{2});
    if (!r) throw std::runtime_error("GET on node " + std::to_string(node) + ": " + r.error().detail);
    if (r->is_nil()) return std::nullopt;
    if (r->type != lock::ReplyType::bulk) throw std::runtime_error("GET: " + lock::to_display(*r));
    return r->str;
  }

 private:
  std::vector<std::unique_ptr<realserver::Server>> processes_;
  std::unique_ptr<hiredis::Backend> reader_;  // destroyed before the servers it reads
};

}  // namespace locklab::interop_test
