// locklab/sim/redis/deployment.hpp — Redis masters, replicas and failover in
// a world, addressed by logical names.
//
// Provides Deployment: shards (a master "<name>" with replicas
// "<name>-replica-<i>", asynchronously replicated), a logical name per shard
// that failover repoints, and failover two ways:
//   - scheduled: at a true time, a failover agent (a process of its own)
//     sends REPLICAOF NO ONE to the chosen replica over the network, then
//     REPLICAOF <new master> to the shard's other nodes;
//   - by a Sentinel-like rule: observer processes ping the master; when a
//     majority has seen no answer for `down_after` (each by its own clock),
//     the first of them performs the same failover. A LOADING reply counts
//     as an answer, as with Sentinel: a node loading its data is not down.
// Writes the old master had acknowledged but not yet sent are lost.
//
// Clients find the master as Sentinel-aware clients do: master_for(name)
// answers with the latest promotion at least `discovery_delay` old, and a
// redis::Client built on a resolver asks again only when it reconnects — a
// client still connected to the old master keeps talking to it until its
// connection breaks; once the old master is demoted it refuses the client's
// writes with READONLY, and only a client that then reconnects (as
// sim::LockBackend does) learns the new master.
//
// Deliberately simple: the logical-name table is shared knowledge of the
// world (as Sentinel's is, without its own consensus protocol); a restarted
// node comes back in the role its options give it.
//
//   redis::Deployment redis(world, {.discovery_delay = 200ms});
//   redis.add_shard({.name = "cache", .replicas = 1});
//   redis.schedule_failover(sim::true_time(5s), "cache");
//   redis::Client client(self, redis.resolver("cache"));
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim::redis {

struct DeploymentOptions {
  Duration discovery_delay{0};
};

struct ShardSpec {
  std::string name;
  ServerOptions master{};
  int replicas = 0;
  ServerOptions replica{};
  // Replica i's (from 1) preset keys are replica_presets[i - 1] when there
  // is such an entry, replica.preset otherwise (server.hpp: presets).
  std::vector<std::vector<PresetKey>> replica_presets{};
};

struct SentinelOptions {
  int observers = 3;
  Duration ping_interval = std::chrono::milliseconds(100);
  Duration ping_timeout = std::chrono::milliseconds(50);
  Duration down_after = std::chrono::seconds(1);
};

struct FailoverRecord {
  std::string shard;
  ProcessId old_master;
  ProcessId new_master;
  TrueTime at;      // when the promotion was acknowledged
  std::string why;  // "scheduled" or "sentinel"
};

class Deployment {
 public:
  Deployment(World& world, DeploymentOptions options = {});

  // Adds the shard's processes; returns the master.
  ProcessId add_shard(ShardSpec spec);
  // Failover of `shard` at true time `at`; the replica defaults to the first.
  void schedule_failover(TrueTime at, std::string shard, std::optional<ProcessId> replica = {});
  // Observer processes that fail `shard` over when a majority sees it down.
  void add_sentinels(std::string shard, SentinelOptions options = {});

  // The master a client learns for `shard` now (see discovery_delay).
  ProcessId master_for(const std::string& shard) const;
  // For redis::Client: resolves the name at each (re)connection.
  std::function<ProcessId()> resolver(std::string shard) const;
  std::vector<ProcessId> nodes_of(const std::string& shard) const;
  const std::vector<FailoverRecord>& failovers() const { return failovers_; }

  // Runs a failover from process `self` (the agent or a sentinel).
  bool fail_over(Process& self, const std::string& shard, std::optional<ProcessId> replica,
                 std::string why);

 private:
  struct Shard {
    std::vector<ProcessId> nodes;  // master first, then replicas
    std::vector<std::pair<TrueTime, ProcessId>> masters;  // promotion history
    bool failing_over = false;
    std::vector<bool> sees_down;  // per sentinel
  };
  struct Planned {
    TrueTime at;
    std::string shard;
    std::optional<ProcessId> replica;
  };
  void start_agent();
  void run_sentinel(Process& self, std::string shard, std::size_t index, SentinelOptions options);

  World& world_;
  DeploymentOptions options_;
  std::map<std::string, Shard> shards_;
  std::vector<Planned> planned_;
  bool agent_started_ = false;
  std::vector<FailoverRecord> failovers_;
};

}  // namespace locklab::sim::redis
