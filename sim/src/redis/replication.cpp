// Replication of a simulated redis-server: a master feeds each replica a full
// copy and then every write, in order, over the simulated network (so lag
// follows latency, pauses and partitions); replicas acknowledge what they
// applied; WAIT counts those acknowledgements; REPLICAOF changes roles.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "locklab/sim/redis/resp.hpp"
#include "locklab/sim/world.hpp"
#include "node.hpp"
#include "redis_number.hpp"
#include "text.hpp"

namespace locklab::sim::redis {

using namespace std::chrono_literals;

std::string Node::snapshot_commands() const {
  std::string image;
  const std::int64_t now = now_ms();
  for (const auto& [key, entry] : engine.keys()) {
    if (entry.expired_at(now)) continue;
    image += entry.expires_at_ms ? encode_command({"SET", key, entry.value, "PXAT",
                                                   std::to_string(*entry.expires_at_ms)})
                                 : encode_command({"SET", key, entry.value});
  }
  return image;
}

// A write of this master, in the order it happened: counted, and queued for
// every replica. A replica counts what it receives instead (replicate_from).
void Node::propagate(const Engine::Write& write) {
  if (master) return;
  ++offset;
  if (replicas.empty()) return;
  const std::string bytes = encode_command(write.command());
  for (auto& [id, link] : replicas) {
    if (link.closed) continue;
    link.pending.push_back(bytes);
    link.wake->notify_one();
  }
}

// The master's side of one replica: a full copy, then the stream of writes.
// A second fiber reads the replica's acknowledgements.
void Node::feed_replica(std::shared_ptr<Socket> socket) {
  const std::uint64_t id = next_link++;
  ReplicaLink& link = replicas[id];
  link.wake = std::make_unique<Signal>(process);
  if (!socket->send(encode_command({"FULLRESYNC", std::to_string(offset)}) + snapshot_commands())) {
    replicas.erase(id);
    return;
  }
  auto self = shared_from_this();
  process.spawn(fmt::format("replica-{}-acks", id), [self, socket, id] {
    while (SimResult<std::string> message = socket->recv()) {
      std::optional<Argv> argv = decode_command(*message);
      auto it = self->replicas.find(id);
      if (it == self->replicas.end()) return;
      if (argv && argv->size() == 3 && is((*argv)[0], "replconf") && is((*argv)[1], "ack")) {
        if (auto acked = parse_redis_int((*argv)[2]); acked && *acked >= 0) {
          it->second.acked = std::max(it->second.acked, static_cast<std::uint64_t>(*acked));
          self->acks.notify_all();
        }
      }
    }
    if (auto it = self->replicas.find(id); it != self->replicas.end()) {
      it->second.closed = true;
      it->second.wake->notify_one();
    }
  });
  for (;;) {
    auto it = replicas.find(id);
    if (it == replicas.end() || it->second.closed) break;
    ReplicaLink& l = it->second;
    if (l.pending.empty()) {
      if (!l.wake->wait()) break;
      continue;
    }
    std::string batch;
    while (!l.pending.empty()) {
      batch += l.pending.front();
      l.pending.pop_front();
    }
    if (!socket->send(std::move(batch))) break;
  }
  replicas.erase(id);
  socket->close();
}

// The replica's side: connect, take the full copy, apply the stream and
// acknowledge; reconnect (with a new full copy) whenever the link breaks,
// until the role changes.
void Node::replicate_from(std::string master_name, std::uint64_t generation) {
  const std::optional<ProcessId> target = process.world().find_process(master_name);
  if (!target) {
    process.note(fmt::format("REPLICAOF names an unknown node: {}", master_name));
    return;
  }
  while (generation == replication_generation) {
    SimResult<Socket> opened = process.connect(*target, process.now() + 1s);
    if (!opened) {
      if (!process.sleep_for(100ms)) return;
      continue;
    }
    upstream = std::make_shared<Socket>(std::move(*opened));
    std::shared_ptr<Socket> link = upstream;
    const ListedConnection listed(*this, link, ConnectionType::master);
    if (!link->send(encode_command({"PSYNC", "?", "-1"}))) continue;
    for (bool synced = false;;) {
      SimResult<std::string> message = link->recv(synced ? std::nullopt
                                                         : std::optional(process.now() + 5s));
      if (!message || generation != replication_generation) break;
      std::vector<Argv> commands = decode_command_stream(*message);
      std::size_t first = 0;
      if (!synced) {
        if (commands.empty() || !is(commands[0][0], "fullresync") || commands[0].size() != 2) break;
        engine.restore({});
        offset = static_cast<std::uint64_t>(parse_redis_int(commands[0][1]).value_or(0));
        synced = true;
        first = 1;
        for (std::size_t i = 1; i < commands.size(); ++i) engine.apply_replicated(commands[i], now_ms());
      } else {
        for (std::size_t i = first; i < commands.size(); ++i) {
          engine.apply_replicated(commands[i], now_ms());
          ++offset;
        }
      }
      if (!link->send(encode_command({"REPLCONF", "ACK", std::to_string(offset)}))) break;
    }
    link->close();
    if (generation != replication_generation) return;
    if (!process.sleep_for(100ms)) return;
  }
}

void Node::become_replica_of(std::string master_name) {
  master = master_name;
  engine.set_replica(true);
  const std::uint64_t generation = ++replication_generation;
  if (upstream) upstream->abort();
  for (auto& [id, link] : replicas) {  // a replica has no replicas of its own here
    link.closed = true;
    link.wake->notify_one();
  }
  auto self = shared_from_this();
  process.spawn("replication", [self, master_name, generation] {
    self->replicate_from(master_name, generation);
  });
}

void Node::become_master() {
  master.reset();
  engine.set_replica(false);
  ++replication_generation;
  if (upstream) upstream->abort();
  upstream.reset();
}

Reply Node::replicaof(const Argv& argv) {
  const std::string name = is(argv[0], "slaveof") ? "slaveof" : "replicaof";
  if (argv.size() != 3) {
    return Reply::error(fmt::format("ERR wrong number of arguments for '{}' command", name));
  }
  // Neither REPLICAOF nor WAIT has the "LOADING" flag (src/commands/*.json).
  if (engine.loading()) return Reply::error(std::string(kLoadingError));
  if (is(argv[1], "no") && is(argv[2], "one")) {
    if (master) become_master();
    return Reply::ok();
  }
  if (!parse_redis_int(argv[2])) return Reply::error("ERR value is not an integer or out of range");
  if (master == argv[1]) return Reply::status("OK Already connected to specified master");
  become_replica_of(argv[1]);
  return Reply::ok();
}

// WAIT numreplicas timeout: how many replicas acknowledged this client's
// latest write, waiting until enough did or the timeout (node clock) passed.
Reply Node::wait_for_replicas(const Argv& argv, std::uint64_t target_offset) {
  if (argv.size() != 3) return Reply::error("ERR wrong number of arguments for 'wait' command");
  if (engine.loading()) return Reply::error(std::string(kLoadingError));
  if (master) {
    return Reply::error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to replicas "
        "are just local and are not propagated.");
  }
  const std::optional<std::int64_t> wanted = parse_redis_int(argv[1]);
  if (!wanted) return Reply::error("ERR value is not an integer or out of range");
  const std::optional<std::int64_t> timeout_ms = parse_redis_int(argv[2]);
  if (!timeout_ms) return Reply::error("ERR timeout is not an integer or out of range");
  if (*timeout_ms < 0) return Reply::error("ERR timeout is negative");
  auto acknowledged = [&] {
    return static_cast<std::int64_t>(std::count_if(
        replicas.begin(), replicas.end(),
        [&](const auto& entry) { return entry.second.acked >= target_offset; }));
  };
  const std::optional<LocalTime> deadline =
      *timeout_ms == 0 ? std::nullopt
                       : std::optional(process.now() + std::chrono::milliseconds(*timeout_ms));
  while (acknowledged() < *wanted) {
    SimResult<void> woke = acks.wait(deadline);
    if (!woke) break;
  }
  return Reply::integer_reply(acknowledged());
}

}  // namespace locklab::sim::redis
