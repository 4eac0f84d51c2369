// The memory of one incarnation of a simulated redis-server (internal to
// sim/src/redis): its Engine, its role in replication, its replica links and
// the state WAIT needs. Every fiber of the node holds it by shared_ptr, so a
// kill may unwind them in any order. server.cpp has the serving and
// persistence half, replication.cpp the replication half.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "locklab/sim/process.hpp"
#include "locklab/sim/redis/engine.hpp"
#include "locklab/sim/redis/server.hpp"

namespace locklab::sim::redis {

struct Node : std::enable_shared_from_this<Node> {
  // A replica connected to this node, as the master sees it.
  struct ReplicaLink {
    std::deque<std::string> pending;  // encoded writes not yet sent
    std::uint64_t acked = 0;          // replication offset the replica confirmed
    std::unique_ptr<Signal> wake;     // pending is no longer empty
    bool closed = false;
  };

  Node(Process& p, ServerOptions o) : process(p), options(std::move(o)), turn(p), acks(p) {}

  Process& process;
  ServerOptions options;
  Engine engine;
  bool busy = false;  // one command at a time, like Redis's single thread
  Signal turn;

  // Replication.
  std::optional<std::string> master;       // set: this node is a replica of it
  std::uint64_t offset = 0;                // writes applied (replica) or produced (master)
  std::uint64_t replication_generation = 0;  // bumped when the role changes
  std::map<std::uint64_t, ReplicaLink> replicas;
  std::uint64_t next_link = 1;
  Signal acks;  // a replica acknowledged something
  std::shared_ptr<Socket> upstream;  // the link to our master, while a replica

  // The connections the node serves, and its link to its master while a
  // replica, by the id CLIENT ID reports: what CLIENT KILL chooses from, in
  // id order (so a kill is deterministic). An entry lives as long as the
  // fiber that serves the connection (ListedConnection).
  enum class ConnectionType : std::uint8_t { normal, replica, master };
  struct Listed {
    std::weak_ptr<Socket> socket;
    ConnectionType type = ConnectionType::normal;
  };
  std::map<std::uint64_t, Listed> connections;
  std::uint64_t next_connection_id = 1;

  std::int64_t now_ms() const { return node_millis(process); }

  // server.cpp
  bool has_data_to_load() const;
  void seed_preset();  // the first incarnation's preset keys, on disk or in memory
  void start();  // loads the data, then starts persisting, expiring and replicating
  void load();
  void observe_writes();
  void start_background_work();
  Reply run(const Argv& argv);
  void serve(std::shared_ptr<Socket> socket);

  // client_command.cpp: CLIENT ID and CLIENT KILL from connection `self`;
  // sets close_self when the caller's own connection is to close after
  // the reply.
  Reply client_command(const Argv& argv, std::uint64_t self, bool& close_self);

  // replication.cpp
  void become_replica_of(std::string master_name);
  void become_master();
  void feed_replica(std::shared_ptr<Socket> socket);
  Reply wait_for_replicas(const Argv& argv, std::uint64_t target_offset);
  Reply replicaof(const Argv& argv);
  std::string snapshot_commands() const;
  void propagate(const Engine::Write& write);  // counts it; encodes it only for replicas

 private:
  void replicate_from(std::string master_name, std::uint64_t generation);
};

// A connection listed in Node::connections for the life of this object.
class ListedConnection {
 public:
  ListedConnection(Node& node, const std::shared_ptr<Socket>& socket, Node::ConnectionType type)
      : node_(node), id_(node.next_connection_id++) {
    node_.connections[id_] = {socket, type};
  }
  ~ListedConnection() { node_.connections.erase(id_); }
  ListedConnection(const ListedConnection&) = delete;
  ListedConnection& operator=(const ListedConnection&) = delete;
  std::uint64_t id() const { return id_; }
  void set_type(Node::ConnectionType type) { node_.connections[id_].type = type; }

 private:
  Node& node_;
  std::uint64_t id_;
};

}  // namespace locklab::sim::redis
