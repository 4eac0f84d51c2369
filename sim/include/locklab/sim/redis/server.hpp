// locklab/sim/redis/server.hpp — a simulated redis-server process.
//
// Provides redis_server(name, options): a ProcessSpec for World::add_process
// that runs an Engine behind the simulated network, as one redis-server:
//   - one command per message (RESP2), processed one at a time, each taking
//     `command_time` of the node's clock (a slow server), scripts atomically;
//   - keys expire by the node's own clock, lazily and by an active expiry
//     cycle every `active_expire_period`, timed as redis-server's cron on a
//     monotonic clock (sleep_for_monotonic: a jump neither hastens nor
//     delays the next cycle), so a forward clock jump deletes untouched keys
//     at the next tick, within that period, and they stay gone;
//   - persistence on the process's Disk: none; AOF with appendfsync always or
//     everysec (the AOF holds absolute expiry times, SET ... PXAT, so time
//     spent down counts against a restored key); RDB snapshots every
//     `rdb_interval`. What survives a kill or a machine crash follows from the
//     Disk model (docs/simulator.md);
//   - the script cache is never persisted: empty after any restart;
//   - `restart_delay`: a restarted node stays unavailable (refuses
//     connections) for at least this long before loading its data;
//   - `load_time`: a node that starts with data on its disk (an AOF with
//     something in it, or an RDB file) then spends this long of its clock
//     loading it: it accepts connections and answers every command with
//     `-LOADING Redis is loading the dataset in memory`, PING included, as
//     redis-server 7.0 does; a kill or crash meanwhile starts it all over.
// A paused node drops nothing: its requests queue and are applied on resume.
//
// Preset keys (ServerOptions::preset): keys the node holds when it first
// starts, as if written before the world began. At the first incarnation
// only, before anything else, each becomes `SET key value [PXAT start + ttl]`
// (start: the node's clock at that moment, so a ttl runs on the node's own
// clock). With persistence the commands are written to the AOF or the RDB
// file and synced, then loaded as any persisted data is (a load_time
// applies): they survive a restart as data written before the start would.
// Without persistence they go straight into memory and a restart loses
// them. Each is a trace note ("preset SET lock x PXAT 3000"). They are this
// node's alone: replication then treats them as any key (a master's
// replicas receive them with their first full copy; a replica's own
// presets are replaced by its first full copy from its master, as Redis
// replaces a replica's data).
//
// Replication: a node started with `replica_of` (or sent REPLICAOF name port)
// connects to its master, receives a full copy, then every write in order,
// and acknowledges what it applied; it refuses clients' writes (READONLY)
// and never expires keys itself (the master's DELs arrive). A master serves
// WAIT numreplicas timeout from those acknowledgements, blocking only the
// caller. REPLICAOF NO ONE promotes a replica; writes its master had not yet
// sent are lost, as with Redis.
//
//   auto node = world.add_process(sim::redis::redis_server("redis-1",
//       {.persistence = sim::redis::Persistence::aof_everysec}));
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "locklab/sim/process.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim::redis {

enum class Persistence : std::uint8_t { none, aof_always, aof_everysec, rdb };
std::string_view name_of(Persistence persistence);

// A key present on a node when it first starts (see above).
struct PresetKey {
  std::string key;
  std::string value;
  // Unset: no expiry. Whole milliseconds from the node's first start, by
  // its own clock.
  std::optional<std::chrono::milliseconds> ttl;

  bool operator==(const PresetKey&) const = default;
};

struct ServerOptions {
  Persistence persistence = Persistence::none;
  Duration rdb_interval = std::chrono::seconds(60);
  Duration command_time{0};
  Duration active_expire_period = std::chrono::milliseconds(100);
  Duration restart_delay{0};
  // How long (of the node's clock) loading its persisted data takes, after
  // restart_delay, at every start that finds data on the disk. Meanwhile the
  // node is up but refuses every command with LOADING. 0: no loading phase,
  // the data is in memory at once. A node without persistence never loads.
  Duration load_time{0};
  ClockSpec clock{};
  // Starts as a replica of the node with this process name (asynchronous
  // replication over the simulated network, as REPLICAOF does).
  std::optional<std::string> replica_of;
  // Keys the node holds at its first start (see above), set in this order.
  std::vector<PresetKey> preset;
};

// Throws std::invalid_argument on a negative load_time, or a preset with an
// empty key or a ttl that is not positive.
ProcessSpec redis_server(std::string name, ServerOptions options = {});

// The node's wall clock in milliseconds, as Redis reads it (floor of its
// process clock).
std::int64_t node_millis(const Process& node);

inline constexpr const char* kAofFile = "appendonly.aof";
inline constexpr const char* kRdbFile = "dump.rdb";

}  // namespace locklab::sim::redis
