// A simulated redis-server: the Engine behind the network, with expiry by the
// node's clock, serial command processing and persistence on the Disk.
#include "locklab/sim/redis/server.hpp"

#include <fmt/format.h>

#include <memory>

#include "locklab/sim/redis/engine.hpp"
#include "locklab/sim/redis/resp.hpp"

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

// What one incarnation of the node holds in memory; gone with it.
struct Node {
  Process& process;
  ServerOptions options;
  Engine engine;
  bool busy = false;  // one command at a time, like Redis's single thread
  Signal turn;

  Node(Process& p, ServerOptions o) : process(p), options(o), turn(p) {}

  std::int64_t now_ms() const { return node_millis(process); }

  // Rebuilds the keyspace from what the disk kept. Replayed commands carry
  // absolute expiry times, judged by the node's clock now.
  void load() {
    const char* file = uses_aof(options.persistence) ? kAofFile
                       : options.persistence == Persistence::rdb ? kRdbFile
                                                                 : nullptr;
    if (file == nullptr) return;
    std::optional<std::string> bytes = process.disk().read(file);
    if (!bytes) return;
    std::size_t replayed = 0;
    for (const Argv& argv : decode_command_stream(*bytes)) {
      engine.execute(argv, now_ms());
      ++replayed;
    }
    process.note(fmt::format("loaded {} commands from {}", replayed, file));
  }

  void persist_writes() {
    if (!uses_aof(options.persistence)) return;
    const bool always = options.persistence == Persistence::aof_always;
    engine.set_write_observer([this, always](const Argv& argv) {
      process.disk().append(kAofFile, encode_command(argv));
      if (always) process.disk().fsync(kAofFile);
    });
  }

  // RDB: the whole keyspace as SET commands, written and synced at once.
  void snapshot() {
    std::string image;
    for (const auto& [key, entry] : engine.keys()) {
      if (entry.expires_at_ms && *entry.expires_at_ms <= now_ms()) continue;
      image += entry.expires_at_ms
                   ? encode_command({"SET", key, entry.value, "PXAT",
                                     std::to_string(*entry.expires_at_ms)})
                   : encode_command({"SET", key, entry.value});
    }
    process.disk().write(kRdbFile, std::move(image));
    process.disk().fsync(kRdbFile);
  }

  // Each fiber holds the node alive: a kill unwinds them in any order.
  static void start_background_work(const std::shared_ptr<Node>& node) {
    Process& p = node->process;
    p.spawn("active-expire", [node] {
      while (node->process.sleep_for(node->options.active_expire_period)) {
        node->engine.active_expire_cycle(node->now_ms());
      }
    });
    if (node->options.persistence == Persistence::aof_everysec) {
      p.spawn("aof-fsync", [node] {
        while (node->process.sleep_for(std::chrono::seconds(1))) node->process.disk().fsync(kAofFile);
      });
    }
    if (node->options.persistence == Persistence::rdb) {
      p.spawn("rdb-save", [node] {
        while (node->process.sleep_for(node->options.rdb_interval)) node->snapshot();
      });
    }
  }

  Reply run(const Argv& argv) {
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

  void serve(Socket socket) {
    for (;;) {
      SimResult<std::string> request = socket.recv();
      if (!request) return;
      std::optional<Argv> argv = decode_command(*request);
      if (!argv) {
        (void)socket.send(encode(Reply::error("ERR Protocol error: invalid multibulk length")));
        return;
      }
      if (!socket.send(encode(run(*argv)))) return;
    }
  }
};

void run_node(Process& process, const ServerOptions& options) {
  if (process.incarnation() > 1 && options.restart_delay.count() > 0) {
    if (!process.sleep_for(options.restart_delay)) return;
  }
  auto node = std::make_shared<Node>(process, options);
  node->load();
  node->persist_writes();
  Node::start_background_work(node);
  Listener listener = process.listen();
  for (std::uint64_t n = 0;; ++n) {
    SimResult<Socket> accepted = listener.accept();
    if (!accepted) return;
    auto socket = std::make_shared<Socket>(std::move(*accepted));
    process.spawn(fmt::format("client-{}", n),
                  [node, socket] { node->serve(std::move(*socket)); });
  }
}

}  // namespace

ProcessSpec redis_server(std::string name, ServerOptions options) {
  ProcessSpec spec;
  spec.name = std::move(name);
  spec.clock = options.clock;
  spec.main = [options](Process& p) { run_node(p, options); };
  return spec;
}

}  // namespace locklab::sim::redis
