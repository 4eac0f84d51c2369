// Shards, logical names and failover (scheduled, or by observers' majority).
#include "locklab/sim/redis/deployment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "locklab/sim/redis/client.hpp"

namespace locklab::sim::redis {

using namespace std::chrono_literals;

Deployment::Deployment(World& world, DeploymentOptions options)
    : world_(world), options_(options) {}

ProcessId Deployment::add_shard(ShardSpec spec) {
  if (spec.name.empty()) throw std::invalid_argument("redis shard: name is empty");
  if (shards_.count(spec.name) != 0) {
    throw std::invalid_argument(fmt::format("redis shard '{}': name already used", spec.name));
  }
  if (spec.replicas < 0) {
    throw std::invalid_argument(fmt::format("redis shard '{}': negative replica count", spec.name));
  }
  Shard& shard = shards_[spec.name];
  const ProcessId master = world_.add_process(redis_server(spec.name, spec.master));
  shard.nodes.push_back(master);
  for (int i = 1; i <= spec.replicas; ++i) {
    ServerOptions replica = spec.replica;
    replica.replica_of = spec.name;
    if (static_cast<std::size_t>(i) <= spec.replica_presets.size()) {
      replica.preset = spec.replica_presets[static_cast<std::size_t>(i) - 1];
    }
    shard.nodes.push_back(
        world_.add_process(redis_server(fmt::format("{}-replica-{}", spec.name, i), replica)));
  }
  shard.masters.emplace_back(world_.true_now(), master);
  return master;
}

ProcessId Deployment::master_for(const std::string& shard) const {
  const Shard& s = shards_.at(shard);
  const TrueTime known_by = world_.true_now() - options_.discovery_delay;
  ProcessId known = s.masters.front().second;
  for (const auto& [at, master] : s.masters) {
    if (at <= known_by) known = master;
  }
  return known;
}

std::function<ProcessId()> Deployment::resolver(std::string shard) const {
  if (shards_.count(shard) == 0) {
    throw std::invalid_argument(fmt::format("no redis shard named '{}'", shard));
  }
  return [this, shard = std::move(shard)] { return master_for(shard); };
}

std::vector<ProcessId> Deployment::nodes_of(const std::string& shard) const {
  return shards_.at(shard).nodes;
}

void Deployment::schedule_failover(TrueTime at, std::string shard, std::optional<ProcessId> replica) {
  if (shards_.count(shard) == 0) {
    throw std::invalid_argument(fmt::format("failover of unknown redis shard '{}'", shard));
  }
  planned_.push_back({at, std::move(shard), replica});
  std::stable_sort(planned_.begin(), planned_.end(),
                   [](const Planned& a, const Planned& b) { return a.at < b.at; });
  if (!agent_started_) start_agent();
}

// The agent's clock is exact (no offset, no drift), so its local times are
// the planned true times.
void Deployment::start_agent() {
  agent_started_ = true;
  world_.add_process({.name = "redis-failover-agent", .main = [this](Process& self) {
                        for (std::size_t i = 0; i < planned_.size(); ++i) {
                          const Planned plan = planned_[i];
                          if (!self.sleep_until(LocalTime{plan.at.time_since_epoch()})) return;
                          fail_over(self, plan.shard, plan.replica, "scheduled");
                        }
                      }});
}

bool Deployment::fail_over(Process& self, const std::string& shard_name,
                           std::optional<ProcessId> replica, std::string why) {
  Shard& shard = shards_.at(shard_name);
  if (shard.failing_over) return false;
  const ProcessId old_master = shard.masters.back().second;
  ProcessId chosen = old_master;
  if (replica) {
    chosen = *replica;
  } else {
    for (ProcessId node : shard.nodes) {
      if (node != old_master) {
        chosen = node;
        break;
      }
    }
  }
  if (chosen == old_master) {
    self.note(fmt::format("failover of {}: no replica to promote", shard_name));
    return false;
  }
  shard.failing_over = true;
  Client promote(self, chosen);
  SimResult<Reply> promoted = promote.call({"REPLICAOF", "NO", "ONE"}, self.now() + 1s);
  if (!promoted || promoted->is_error()) {
    self.note(fmt::format("failover of {}: promoting {} failed", shard_name,
                          world_.process(chosen).name()));
    shard.failing_over = false;
    return false;
  }
  shard.masters.emplace_back(world_.true_now(), chosen);
  failovers_.push_back({shard_name, old_master, chosen, world_.true_now(), why});
  self.note(fmt::format("failover of {} ({}): {} -> {}", shard_name, why,
                        world_.process(old_master).name(), world_.process(chosen).name()));
  // Point the shard's other nodes (the old master included, if it answers)
  // at the new master; best effort, as Sentinel does.
  const std::string new_master_name = world_.process(chosen).name();
  for (ProcessId node : shard.nodes) {
    if (node == chosen) continue;
    Client reconfigure(self, node);
    (void)reconfigure.call({"REPLICAOF", new_master_name, "6379"}, self.now() + 500ms);
  }
  shard.failing_over = false;
  return true;
}

void Deployment::add_sentinels(std::string shard, SentinelOptions options) {
  if (shards_.count(shard) == 0) {
    throw std::invalid_argument(fmt::format("sentinels for unknown redis shard '{}'", shard));
  }
  if (options.observers < 1) throw std::invalid_argument("sentinels: need at least one observer");
  Shard& s = shards_.at(shard);
  const std::size_t first = s.sees_down.size();
  s.sees_down.resize(first + static_cast<std::size_t>(options.observers), false);
  for (std::size_t i = first; i < s.sees_down.size(); ++i) {
    world_.add_process({.name = fmt::format("{}-sentinel-{}", shard, i + 1),
                        .main = [this, shard, i, options](Process& self) {
                          run_sentinel(self, shard, i, options);
                        }});
  }
}

// One observer: pings the current master; it sees it down after
// `down_after` of its own clock without an answer (PONG, or LOADING). When a majority of the
// shard's observers see it down, the first of them fails the shard over.
void Deployment::run_sentinel(Process& self, std::string shard_name, std::size_t index,
                              SentinelOptions options) {
  LocalTime last_answer = self.now();
  ProcessId watched = kNoProcess;
  std::unique_ptr<Client> client;
  for (;;) {
    Shard& shard = shards_.at(shard_name);
    const ProcessId master = shard.masters.back().second;
    if (master != watched) {
      watched = master;
      client = std::make_unique<Client>(self, master);
      last_answer = self.now();
    }
    SimResult<Reply> pong = client->call({"PING"}, self.now() + options.ping_timeout);
    // A node loading its data answers LOADING, and Sentinel counts that as
    // alive (sentinelPingReplyCallback in src/sentinel.c, Redis 7.0).
    if (pong && (!pong->is_error() || pong->is_error_code("LOADING"))) last_answer = self.now();
    shard.sees_down[index] = self.now() - last_answer >= options.down_after;
    const auto down = static_cast<std::size_t>(
        std::count(shard.sees_down.begin(), shard.sees_down.end(), true));
    const std::size_t first_down = static_cast<std::size_t>(
        std::find(shard.sees_down.begin(), shard.sees_down.end(), true) - shard.sees_down.begin());
    if (shard.sees_down[index] && down > shard.sees_down.size() / 2 && first_down == index) {
      if (fail_over(self, shard_name, std::nullopt, "sentinel")) {
        std::fill(shard.sees_down.begin(), shard.sees_down.end(), false);
      }
    }
    if (!self.sleep_for(options.ping_interval)) return;
  }
}

}  // namespace locklab::sim::redis
