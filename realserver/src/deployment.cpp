#include "locklab/realserver/deployment.hpp"

namespace locklab::realserver {

Deployment::Deployment(DeploymentOptions options)
    : replicas_per_master_(options.replicas_per_master) {
  if (options.masters == 0) throw Error("Deployment: at least one master is needed");
  ServerOptions master_options = options.server;
  master_options.replica_of.reset();
  for (std::size_t i = 0; i < options.masters; ++i) {
    masters_.push_back(std::make_unique<Server>(master_options));
  }
  for (std::size_t i = 0; i < options.masters; ++i) {
    ServerOptions replica_options = options.server;
    replica_options.replica_of = masters_[i]->port();
    for (std::size_t j = 0; j < options.replicas_per_master; ++j) {
      replicas_.push_back(std::make_unique<Server>(replica_options));
    }
  }
}

std::vector<int> Deployment::master_ports() const {
  std::vector<int> ports;
  for (const auto& m : masters_) ports.push_back(m->port());
  return ports;
}

}  // namespace locklab::realserver
