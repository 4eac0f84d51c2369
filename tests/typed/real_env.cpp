// The typed lock suite's real environment (real_env.hpp).
#include "typed/real_env.hpp"

#include <stdexcept>

namespace locklab::typed {

RealContext::RealContext(realserver::Deployment& servers) : servers_(servers) {
  for (std::size_t i = 0; i < servers_.masters(); ++i) {
    endpoints_.push_back({.host = realserver::Server::host(), .port = servers_.master(i).port()});
  }
  observer_ = open({});
  backend_ = open({});
  other_ = open({});
}

// A backend with a connection to every node already open (and each node's
// identity checked by the backend's handshake), one node at a time so that
// a bound of one request in flight needs no slot twice.
std::unique_ptr<RealContext::Backend> RealContext::open(ClientOptions options) {
  auto b = std::make_unique<Backend>(endpoints_, hiredis::Options{.max_in_flight = options.max_in_flight});
  for (std::size_t n = 0; n < endpoints_.size(); ++n) {
    const lock::NodeResult pong = b->call(n, {"PING"}, now() + std::chrono::seconds(2));
    if (!pong) throw std::runtime_error("node " + std::to_string(n) + " did not answer PING: " + show(pong));
  }
  return b;
}

RealContext::Backend& RealContext::client(ClientOptions options) {
  clients_.push_back(open(options));
  return *clients_.back();
}

lock::NodeResult RealContext::raw(std::size_t node, const std::vector<std::string>& argv) {
  const lock::Command command(argv.begin(), argv.end());
  return observer_->call(node, command, now() + std::chrono::seconds(2));
}

void run_real(std::size_t nodes, const std::function<void(RealContext&)>& body) {
  realserver::Deployment servers({.masters = nodes});
  RealContext ctx(servers);
  body(ctx);
}

}  // namespace locklab::typed
