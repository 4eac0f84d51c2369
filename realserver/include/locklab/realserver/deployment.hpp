// locklab/realserver/deployment.hpp — several independent masters (and
// their replicas) started together: what RedLock runs on.
//
// Provides DeploymentOptions and Deployment: N masters, each with R
// replicas (already linked when the constructor returns), every server a
// Server of its own (own port, directory and process), all with the same
// ServerOptions (replica_of is set by the deployment). The masters do not
// know each other: this is a set of independent servers, not a Redis
// Cluster.
//
// Not provided: Sentinel or automatic failover (promote() a replica by
// hand), faults on several servers at once (loop over them: each fault is
// a Server member).
//
// Thread-safety: as Server — one owning thread; the servers themselves
// serve any number of clients.
//
//   Deployment five({.masters = 5});
//   std::vector<hiredis::Endpoint> endpoints;
//   for (int port : five.master_ports()) endpoints.push_back({.port = port});
//   five.master(0).kill();
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "locklab/realserver/server.hpp"

namespace locklab::realserver {

struct DeploymentOptions {
  std::size_t masters = 1;
  std::size_t replicas_per_master = 0;
  ServerOptions server{};  // for every server; replica_of is overwritten
};

class Deployment {
 public:
  // Starts every server; throws (StartError, Error) if any fails, having
  // stopped those already started.
  explicit Deployment(DeploymentOptions options);

  std::size_t masters() const { return masters_.size(); }
  Server& master(std::size_t i) { return *masters_.at(i); }
  const Server& master(std::size_t i) const { return *masters_.at(i); }
  std::size_t replicas_per_master() const { return replicas_per_master_; }
  Server& replica(std::size_t master, std::size_t j) {
    return *replicas_.at(master * replicas_per_master_ + j);
  }
  std::vector<int> master_ports() const;

 private:
  std::size_t replicas_per_master_;
  std::vector<std::unique_ptr<Server>> masters_;
  std::vector<std::unique_ptr<Server>> replicas_;  // master-major
};

}  // namespace locklab::realserver
