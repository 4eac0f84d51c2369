// A simulated redis-server: the Engine behind the network, with expiry by the
// node's clock, serial command processing and persistence on the Disk.
// Replication is in replication.cpp.
#include "locklab/sim/redis/server.hpp"

#include <fmt/format.h>

#include <cctype>
#include <memory>
#include <stdexcept>

#include "locklab/sim/redis/resp.hpp"
#include "node.hpp"
#include "text.hpp"

namespace locklab::sim::redis {

std::string_view name_of(Persistence persistence) {
  switch (persistence) {
    case Persistence::none: return "none";
    case Persistence::aof_always: return "aof-always";
    case Persistence::aof_everysec: return "aof-everysec";
    case Persistence::rdb: return "rdb";
  }
  return "unknown";
}

std::int64_t node_millis(const Process& node) {
  const std::int64_t ns = nanos(node.now());
  return ns >= 0 ? ns / 1'000'000 : -((-ns + 999'999) / 1'000'000);  // floor
}

namespace {

bool uses_aof(Persistence p) { return p == Persistence::aof_always || p == Persistence::aof_everysec; }

const char* persisted_file(Persistence p) {
  return uses_aof(p) ? kAofFile : p == Persistence::rdb ? kRdbFile : nullptr;
}

}  // namespace

// Whether a start finds data to load, as redis-server 7.0 decides it: an RDB
// file, even an empty image (rdbLoad in src/rdb.c starts loading once the
// file opens), or an AOF with something in it (loadAppendOnlyFiles in
// src/aof.c returns AOF_NOT_EXIST or AOF_EMPTY without loading otherwise).
// Without persistence there is nothing to load, hence no loading phase.
bool Node::has_data_to_load() const {
  const char* file = persisted_file(options.persistence);
  if (file == nullptr) return false;
  const std::optional<std::string> bytes = process.disk().read(file);
  return bytes && (options.persistence == Persistence::rdb || !bytes->empty());
}

// The preset keys as data written before the start: with persistence, on
// the disk (synced) for load() to read like any persisted data; without, in
// memory at once. Absolute expiry times from the node's clock now.
void Node::seed_preset() {
  if (options.preset.empty()) return;
  const std::int64_t start = now_ms();
  const char* file = persisted_file(options.persistence);
  std::string image;
  for (const PresetKey& p : options.preset) {
    const Argv argv = p.ttl ? Argv{"SET", p.key, p.value, "PXAT", std::to_string(start + p.ttl->count())}
                            : Argv{"SET", p.key, p.value};
    std::string text = "preset";
    for (const std::string& a : argv) text += " " + a;
    process.note(text);
    if (file != nullptr) {
      image += encode_command(argv);
    } else {
      engine.apply_replicated(argv, start);
    }
  }
  if (file == nullptr) return;
  // The first start finds an empty disk: the image is the whole file.
  process.disk().write(file, std::move(image));
  process.disk().fsync(file);
}

// The data in memory, the node becomes what its options make it.
void Node::start() {
  load();
  engine.set_loading(false);
  observe_writes();
  start_background_work();
  if (options.replica_of) become_replica_of(*options.replica_of);
}

// Rebuilds the keyspace from what the disk kept. Replayed commands carry
// absolute expiry times, judged by the node's clock once the load is done
// (nothing expires while loading, as in Redis).
void Node::load() {
  const char* file = persisted_file(options.persistence);
  if (file == nullptr) return;
  std::optional<std::string> bytes = process.disk().read(file);
  if (!bytes) return;
  std::size_t replayed = 0;
  for (const Argv& argv : decode_command_stream(*bytes)) {
    engine.replay_persisted(argv, now_ms());
    ++replayed;
  }
  process.note(fmt::format("loaded {} commands from {}", replayed, file));
}

// Every write goes to the AOF (if any) and to the replicas, in order.
void Node::observe_writes() {
  engine.set_write_observer([this](const Engine::Write& write) {
    if (uses_aof(options.persistence)) {
      process.disk().append(kAofFile, encode_command(write.command()));
      if (options.persistence == Persistence::aof_always) process.disk().fsync(kAofFile);
    }
    propagate(write);
  });
}

void Node::start_background_work() {
  auto self = shared_from_this();
  // The active cycle runs from serverCron, a time event on the monotonic
  // clock: a step of the wall clock is seen at the next tick, neither at
  // once (forward) nor after the step's length (backward).
  process.spawn("active-expire", [self] {
    while (self->process.sleep_for_monotonic(self->options.active_expire_period)) {
      self->engine.active_expire_cycle(self->now_ms());
    }
  });
  if (options.persistence == Persistence::aof_everysec) {
    process.spawn("aof-fsync", [self] {
      while (self->process.sleep_for(std::chrono::seconds(1))) self->process.disk().fsync(kAofFile);
    });
  }
  if (options.persistence == Persistence::rdb) {
    process.spawn("rdb-save", [self] {
      while (self->process.sleep_for(self->options.rdb_interval)) {
        // The image is written whole and synced, as Redis writes a temporary
        // file, fsyncs and renames it.
        self->process.disk().write(kRdbFile, self->snapshot_commands());
        self->process.disk().fsync(kRdbFile);
      }
    });
  }
}

Reply Node::run(const Argv& argv) {
  if (options.command_time.count() == 0) return engine.execute(argv, now_ms());
  while (busy) {
    if (!turn.wait()) return Reply::error("ERR node shutting down");
  }
  busy = true;
  (void)process.sleep_for(options.command_time);
  Reply reply = engine.execute(argv, now_ms());
  busy = false;
  turn.notify_one();
  return reply;
}

void Node::serve(std::shared_ptr<Socket> socket) {
  ListedConnection listed(*this, socket, ConnectionType::normal);
  std::uint64_t last_write = 0;  // this client's newest write, for WAIT
  Argv argv;  // reused, command after command (its strings keep their capacity)
  std::string bytes;  // each request's storage, reused for its reply (no allocation)
  for (;;) {
    SimResult<std::string> request = socket->recv();
    if (!request) return;
    bytes = std::move(*request);
    if (!decode_command(bytes, argv)) {
      (void)socket->send(encode(Reply::error("ERR Protocol error: invalid multibulk length")));
      return;
    }
    const std::string& name = argv[0];
    const bool replica_sync = is(name, "psync") || is(name, "sync");
    if (replica_sync && !engine.loading()) {
      listed.set_type(ConnectionType::replica);
      return feed_replica(std::move(socket));
    }
    Reply reply;
    bool close_self = false;
    if (replica_sync) {
      reply = Reply::error(std::string(kLoadingError));  // the replica tries again later
    } else if (is(name, "wait")) {
      reply = wait_for_replicas(argv, last_write);
    } else if (is(name, "replicaof") || is(name, "slaveof")) {
      reply = replicaof(argv);
    } else if (is(name, "client")) {
      reply = client_command(argv, listed.id(), close_self);
    } else {
      const std::uint64_t before = offset;
      reply = run(argv);
      if (offset != before) last_write = offset;
    }
    encode(reply, bytes);
    if (!socket->send(std::move(bytes))) return;
    if (close_self) {  // CLIENT KILL of itself: after the reply, as Redis does
      socket->close();
      return;
    }
  }
}

namespace {

void run_node(Process& process, const ServerOptions& options) {
  if (process.incarnation() > 1 && options.restart_delay.count() > 0) {
    if (!process.sleep_for(options.restart_delay)) return;
  }
  auto node = std::make_shared<Node>(process, options);
  if (process.incarnation() == 1) node->seed_preset();
  if (options.load_time.count() > 0 && node->has_data_to_load()) {
    // Loading: connections are accepted at once and answered LOADING until
    // the data is in memory. A kill meanwhile unwinds this fiber with the
    // rest; the next incarnation loads from the start again.
    node->engine.set_loading(true);
    process.note(fmt::format("loading its data for {}", format_duration(options.load_time)));
    process.spawn("loading", [node] {
      if (!node->process.sleep_for(node->options.load_time)) return;
      node->start();
    });
  } else {
    node->start();
  }
  Listener listener = process.listen();
  for (std::uint64_t n = 0;; ++n) {
    SimResult<Socket> accepted = listener.accept();
    if (!accepted) return;
    auto socket = std::make_shared<Socket>(std::move(*accepted));
    process.spawn(fmt::format("client-{}", n), [node, socket] { node->serve(socket); });
  }
}

}  // namespace

ProcessSpec redis_server(std::string name, ServerOptions options) {
  if (options.load_time < Duration::zero()) {
    throw std::invalid_argument(fmt::format("redis server '{}': negative load_time ({})", name,
                                            format_duration(options.load_time)));
  }
  for (const PresetKey& p : options.preset) {
    if (p.key.empty()) throw std::invalid_argument(fmt::format("redis server '{}': a preset key is empty", name));
    if (p.ttl && p.ttl->count() <= 0) {
      throw std::invalid_argument(fmt::format("redis server '{}': preset key '{}': ttl must be positive", name, p.key));
    }
  }
  ProcessSpec spec;
  spec.name = std::move(name);
  spec.clock = options.clock;
  spec.main = [options](Process& p) { run_node(p, options); };
  return spec;
}

}  // namespace locklab::sim::redis
