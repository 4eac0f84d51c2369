// locklab/sim/network.hpp — connections between simulated processes.
//
// Provides Network (links, latency, partitions, message delays), Socket (one
// end of a connection) and Listener (a process's accepting end).
//
// Fault model. A connection carries messages in order in each direction, as a
// TCP stream carrying one framed message per send(). Each message takes the
// link's latency; a message never overtakes an earlier one on its connection.
//   - close(), and the death (exit or kill) of a process whose machine is
//     up: as on Linux, a FIN if the closing end had no unread input, else a
//     reset. After a FIN, bytes already sent are still delivered (and
//     processed) before the peer sees the end of the stream, even if the
//     sender has since given up and reconnected.
//   - a reset (abort(), unread input at close, a ConnectionReset fault): what
//     is still in flight is lost; what was already delivered into the peer's
//     inbox stays readable, then recv() reports connection_reset once and the
//     end of the stream after that (Linux's ECONNRESET, then 0). A reset that
//     arrives after the end of the stream is not reported.
//   - machine crash: peers are told nothing; what they send is lost until the
//     machine is back, when their packets are answered with a reset.
//   - partition, hold mode: messages wait at the cut and are delivered after
//     heal (TCP retransmission); connections stay up.
//   - partition, reset mode: connections crossing the cut are reset at both
//     ends at once, and new connections across it fail as unreachable.
//   - one-way partition: only one direction is cut (in hold mode the other
//     direction flows; in reset mode the connection breaks, as TCP does when
//     acknowledgements stop).
//   - a paused process's kernel still receives: messages and connection
//     requests queue for it and are processed after it resumes.
//
// Deliberately absent: bandwidth, packet loss without a partition, and byte
// streams without message boundaries.
//
//   Socket s = *process.connect(server, process.now() + 50ms);
//   s.send("PING");
//   SimResult<std::string> reply = s.recv(process.now() + 100ms);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "locklab/sim/detail/ring_queue.hpp"
#include "locklab/sim/errors.hpp"
#include "locklab/sim/fault.hpp"
#include "locklab/sim/ids.hpp"
#include "locklab/sim/latency.hpp"
#include "locklab/sim/time.hpp"
#include "locklab/sim/wait_queue.hpp"

namespace locklab::sim {

class World;
class Process;
class Network;

class Socket {
 public:
  Socket() = default;
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();  // close()

  bool valid() const { return network_ != nullptr; }
  ConnectionId id() const { return id_; }
  ProcessId peer() const;

  SimResult<void> send(std::string bytes);
  // As above, with `digest` == Trace::digest(bytes) already computed (a
  // caller sending the same bytes on several connections digests them once).
  SimResult<void> send(std::string bytes, std::uint64_t digest);
  SimResult<std::string> recv(std::optional<LocalTime> deadline = std::nullopt);
  // What poll() reports as readable: recv() would return at once, with bytes
  // waiting, the end of the stream or a reset. A pool checks an idle
  // connection with it before reuse (an idle one that is readable was closed
  // by its peer). Never blocks, sends nothing, traces nothing.
  bool readable() const;
  void close() noexcept;
  void abort() noexcept;

 private:
  friend class Network;
  Socket(Network* network, ConnectionId id, int side)
      : network_(network), id_(id), side_(side) {}
  Network* network_ = nullptr;
  ConnectionId id_{};
  int side_ = 0;
};

class Listener {
 public:
  // The next connection a client opened to this process.
  SimResult<Socket> accept(std::optional<LocalTime> deadline = std::nullopt);

 private:
  friend class Process;
  explicit Listener(Process& process) : process_(&process) {}
  Process* process_;
};

class Network {
 public:
  explicit Network(World& world, LatencyModel default_latency);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Latency of messages from `from` to `to` (overrides the default).
  void set_latency(ProcessId from, ProcessId to, LatencyModel model);
  void set_default_latency(LatencyModel model);

  bool blocked(ProcessId from, ProcessId to) const;
  std::size_t open_connections() const { return open_connections_; }

 private:
  friend class World;
  friend class Socket;
  friend class Listener;
  friend class Process;

  enum class Segment : std::uint8_t { syn, syn_ack, data, fin, rst };
  struct InFlight {
    TrueTime arrival;
    Segment kind;
    std::string bytes;
    std::uint64_t digest = 0;  // Trace::digest(bytes), computed once at send
  };
  struct Pipe {  // one direction of a connection
    detail::RingQueue<InFlight> queue;
    TrueTime last_arrival;
    std::uint64_t generation = 0;  // delivery events of another generation are stale
    bool event_pending = false;
    bool held = false;  // stopped at a partition (hold mode) until heal
  };
  struct Endpoint {
    ProcessId owner = kNoProcess;
    detail::RingQueue<std::string> inbox;
    bool established = false;
    bool closed = false;       // closed (or given up) by its owner
    bool peer_closed = false;  // end of stream received
    bool reset = false;
    bool reset_reported = false;  // recv() or send() returned connection_reset
    bool refused = false;
    bool dead = false;         // its owner's incarnation is gone
  };
  struct Connection {
    Endpoint ends[2];  // 0: the side that connected, 1: the side that accepted
    Pipe pipes[2];     // pipes[i] carries from side i to side 1 - i
    WaitQueue waiters[2];
  };
  struct LinkState {
    std::uint32_t hold = 0;
    std::uint32_t reset = 0;
    std::uint32_t delayed_count = 0;
    Duration delay_extra{0};
  };

  // Called by Process / Socket / Listener on behalf of the calling fiber.
  SimResult<Socket> connect(Process& client, ProcessId target, LocalTime deadline);
  SimResult<Socket> accept(Process& server, std::optional<LocalTime> deadline);
  SimResult<void> send(std::uint64_t id, int side, std::string bytes,
                       std::optional<std::uint64_t> digest = std::nullopt);
  SimResult<std::string> recv(std::uint64_t id, int side, std::optional<LocalTime> deadline);
  void close(std::uint64_t id, int side, bool abort) noexcept;
  bool readable(std::uint64_t id, int side) const;
  ProcessId peer(std::uint64_t id, int side) const;

  // Called by the World.
  void deliver_due(std::uint64_t pipe_id, std::uint64_t generation);
  void process_down(Process& process, bool machine_down);
  void partition(ProcessId from, ProcessId to, PartitionMode mode);
  void heal(ProcessId from, ProcessId to);
  void delay(ProcessId from, ProcessId to, Duration extra, std::uint32_t count);
  void reset_between(ProcessId a, ProcessId b);

  Connection* find(std::uint64_t id) {
    return id < connections_.size() ? connections_[id].get() : nullptr;
  }
  Connection& at(std::uint64_t id);  // asserts it exists
  void enqueue(std::uint64_t id, int from_side, Segment kind, std::string bytes,
               std::uint64_t digest = 0);
  void schedule_head(std::uint64_t id, int from_side);
  void deliver_one(std::uint64_t id, int to_side, InFlight segment);
  void reset_connection(std::uint64_t id);
  void reset_matching(ProcessId a, ProcessId b);
  void release_held(ProcessId from, ProcessId to);
  void wake(Connection& c, int side);
  void forget_if_finished(std::uint64_t id);
  bool reset_blocked(ProcessId from, ProcessId to) const;
  Duration draw(ProcessId from, ProcessId to);
  ProcessId owner(const Connection& c, int side) const { return c.ends[side].owner; }

  World& world_;
  Rng rng_;
  LatencyModel default_latency_;
  std::map<std::pair<ProcessId, ProcessId>, LatencyModel> link_latency_;
  std::map<std::pair<ProcessId, ProcessId>, LinkState> links_;
  // Indexed by connection id (ids count up from 1 and are never reused), so
  // the lookups every message makes are an index, not a tree walk; a
  // finished connection leaves an empty slot. Iteration is in id order.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t open_connections_ = 0;
  std::set<std::uint64_t> held_pipes_;  // pipe id = connection * 2 + from_side
  std::uint64_t next_connection_ = 1;
};

}  // namespace locklab::sim
