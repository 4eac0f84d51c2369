// The simulated network: connection handshakes, ordered delivery with
// latency, partitions (hold and reset), message delays and resets. See
// network.hpp for the fault model.
#include "locklab/sim/network.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "locklab/assert.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

// --- Socket and Listener: thin handles onto the Network ---

Socket::Socket(Socket&& other) noexcept
    : network_(std::exchange(other.network_, nullptr)), id_(other.id_), side_(other.side_) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    network_ = std::exchange(other.network_, nullptr);
    id_ = other.id_;
    side_ = other.side_;
  }
  return *this;
}

Socket::~Socket() { close(); }

ProcessId Socket::peer() const {
  return network_ != nullptr ? network_->peer(index_of(id_), side_) : kNoProcess;
}

SimResult<void> Socket::send(std::string bytes) {
  if (network_ == nullptr) return std::unexpected(SimError::connection_closed);
  return network_->send(index_of(id_), side_, std::move(bytes));
}

SimResult<void> Socket::send(std::string bytes, std::uint64_t digest) {
  if (network_ == nullptr) return std::unexpected(SimError::connection_closed);
  return network_->send(index_of(id_), side_, std::move(bytes), digest);
}

SimResult<std::string> Socket::recv(std::optional<LocalTime> deadline) {
  if (network_ == nullptr) return std::unexpected(SimError::connection_closed);
  return network_->recv(index_of(id_), side_, deadline);
}

bool Socket::readable() const {
  return network_ == nullptr || network_->readable(index_of(id_), side_);
}

void Socket::close() noexcept {
  if (network_ != nullptr) std::exchange(network_, nullptr)->close(index_of(id_), side_, false);
}

void Socket::abort() noexcept {
  if (network_ != nullptr) std::exchange(network_, nullptr)->close(index_of(id_), side_, true);
}

SimResult<Socket> Listener::accept(std::optional<LocalTime> deadline) {
  return process_->world().network().accept(*process_, deadline);
}

// --- Network ---

Network::Network(World& world, LatencyModel default_latency)
    : world_(world), rng_(world.fork_rng("network")), default_latency_(default_latency) {}

Network::~Network() = default;

void Network::set_latency(ProcessId from, ProcessId to, LatencyModel model) {
  if (std::string why = validate(model); !why.empty()) {
    throw std::invalid_argument(fmt::format("latency p{} -> p{}: {}", index_of(from),
                                            index_of(to), why));
  }
  link_latency_[{from, to}] = model;
}

void Network::set_default_latency(LatencyModel model) {
  if (std::string why = validate(model); !why.empty()) {
    throw std::invalid_argument("default latency: " + why);
  }
  default_latency_ = model;
}

bool Network::blocked(ProcessId from, ProcessId to) const {
  auto it = links_.find({from, to});
  return it != links_.end() && (it->second.hold > 0 || it->second.reset > 0);
}

bool Network::reset_blocked(ProcessId from, ProcessId to) const {
  auto it = links_.find({from, to});
  return it != links_.end() && it->second.reset > 0;
}

Duration Network::draw(ProcessId from, ProcessId to) {
  auto it = link_latency_.find({from, to});
  return draw_latency(it != link_latency_.end() ? it->second : default_latency_, rng_);
}

Network::Connection& Network::at(std::uint64_t id) {
  Connection* c = find(id);
  LOCKLAB_ASSERT(c != nullptr, "no connection ", id);
  return *c;
}

ProcessId Network::peer(std::uint64_t id, int side) const {
  const Connection* c = id < connections_.size() ? connections_[id].get() : nullptr;
  return c == nullptr ? kNoProcess : c->ends[1 - side].owner;
}

void Network::wake(Connection& c, int side) { world_.notify_all(c.waiters[side]); }

SimResult<Socket> Network::connect(Process& client, ProcessId target, LocalTime deadline) {
  if (!world_.admit(client)) return std::unexpected(SimError::killed);
  LOCKLAB_ASSERT(index_of(target) < world_.process_count(), "connect to unknown process ",
                 index_of(target));
  const std::uint64_t id = next_connection_++;
  world_.record(client.id(), TraceKind::connect, id, index_of(target));
  if (reset_blocked(client.id(), target) || reset_blocked(target, client.id())) {
    return std::unexpected(SimError::unreachable);
  }
  if (connections_.size() <= id) connections_.resize(id + 1);
  connections_[id] = std::make_unique<Connection>();
  ++open_connections_;
  Connection& c = *connections_[id];
  c.ends[0].owner = client.id();
  c.ends[1].owner = target;
  client.connections_.insert(ConnectionId{id});
  enqueue(id, 0, Segment::syn, {});

  for (;;) {
    Connection* conn = find(id);
    LOCKLAB_ASSERT(conn != nullptr, "connection vanished during its handshake");
    Endpoint& e = conn->ends[0];
    SimError error;
    if (e.established) return Socket(this, ConnectionId{id}, 0);
    if (e.refused) {
      error = SimError::connection_refused;
    } else if (e.reset || e.dead) {
      error = e.dead ? SimError::killed : SimError::unreachable;
    } else {
      SimResult<void> woke = world_.wait(client, &conn->waiters[0], deadline);
      if (woke) continue;
      error = woke.error();
    }
    // Give up: a late SYN-ACK will find this end closed and be answered with
    // a reset, as a kernel does for a connection nobody holds.
    conn = find(id);
    if (conn != nullptr) {
      conn->ends[0].closed = true;
      forget_if_finished(id);
    }
    return std::unexpected(error);
  }
}

SimResult<Socket> Network::accept(Process& server, std::optional<LocalTime> deadline) {
  for (;;) {
    if (!world_.admit(server)) return std::unexpected(SimError::killed);
    if (!server.listening_) return std::unexpected(SimError::connection_closed);
    while (!server.backlog_.empty()) {
      const std::uint64_t id = index_of(server.backlog_.front());
      server.backlog_.pop_front();
      Connection* c = find(id);
      if (c == nullptr || c->ends[1].dead || c->ends[1].reset || c->ends[1].closed) continue;
      world_.record(server.id(), TraceKind::accept, id, index_of(c->ends[0].owner));
      return Socket(this, ConnectionId{id}, 1);
    }
    SimResult<void> woke = world_.wait(server, &server.accept_waiters_, deadline);
    if (!woke) return std::unexpected(woke.error());
  }
}

SimResult<void> Network::send(std::uint64_t id, int side, std::string bytes,
                              std::optional<std::uint64_t> known_digest) {
  Connection* c = find(id);
  if (c == nullptr) return std::unexpected(SimError::connection_closed);
  Endpoint& e = c->ends[side];
  if (!world_.admit(world_.process(e.owner)) || e.dead) return std::unexpected(SimError::killed);
  if (e.reset && !e.peer_closed && !e.reset_reported) {
    e.reset_reported = true;  // reported once, as recv() does
    return std::unexpected(SimError::connection_reset);
  }
  if (e.reset || e.closed) return std::unexpected(SimError::connection_closed);
  const std::uint64_t digest = known_digest ? *known_digest : Trace::digest(bytes);
  world_.record(e.owner, TraceKind::send, id, bytes.size(), bytes, digest);
  enqueue(id, side, Segment::data, std::move(bytes), digest);
  return {};
}

SimResult<std::string> Network::recv(std::uint64_t id, int side,
                                     std::optional<LocalTime> deadline) {
  for (;;) {
    Connection* c = find(id);
    if (c == nullptr) return std::unexpected(SimError::connection_closed);
    Endpoint& e = c->ends[side];
    Process& owner = world_.process(e.owner);
    if (!world_.admit(owner) || e.dead) return std::unexpected(SimError::killed);
    if (!e.inbox.empty()) {
      std::string message = std::move(e.inbox.front());
      e.inbox.pop_front();
      return message;
    }
    // As Linux reports it: a reset once (a reset after the end of the
    // stream, not at all), then the end of the stream.
    if (e.reset && !e.peer_closed && !e.reset_reported) {
      e.reset_reported = true;
      return std::unexpected(SimError::connection_reset);
    }
    if (e.reset || e.peer_closed || e.closed) return std::unexpected(SimError::connection_closed);
    SimResult<void> woke = world_.wait(owner, &c->waiters[side], deadline);
    if (!woke) return std::unexpected(woke.error());
  }
}

void Network::close(std::uint64_t id, int side, bool abort) noexcept {
  Connection* c = find(id);
  if (c == nullptr) return;
  Endpoint& e = c->ends[side];
  if (e.closed || e.dead) return;
  e.closed = true;
  wake(*c, side);  // another fiber of the owner may be blocked reading this end
  // As on Linux, closing with input left unread resets the connection.
  const bool unread_input = !e.inbox.empty();
  e.inbox.clear();
  // A killed process's sockets were already torn down by its "kernel";
  // closing them while it unwinds sends nothing.
  if (world_.admit_quietly(world_.process(e.owner)) && !e.reset) {
    world_.record(e.owner, TraceKind::close, id);
    enqueue(id, side, abort || unread_input ? Segment::rst : Segment::fin, {});
  }
  forget_if_finished(id);
}

bool Network::readable(std::uint64_t id, int side) const {
  const Connection* c = id < connections_.size() ? connections_[id].get() : nullptr;
  if (c == nullptr) return true;
  const Endpoint& e = c->ends[side];
  return !e.inbox.empty() || e.reset || e.peer_closed || e.closed || e.dead;
}

void Network::enqueue(std::uint64_t id, int from_side, Segment kind, std::string bytes,
                      std::uint64_t digest) {
  Connection& c = at(id);
  const ProcessId from = c.ends[from_side].owner;
  const ProcessId to = c.ends[1 - from_side].owner;
  TrueTime arrival = world_.true_now() + draw(from, to);
  auto link = links_.find({from, to});
  if (link != links_.end() && link->second.delayed_count > 0) {
    arrival += link->second.delay_extra;
    --link->second.delayed_count;
  }
  Pipe& pipe = c.pipes[from_side];
  // A stream never reorders: nothing arrives before what was sent earlier.
  arrival = std::max(arrival, pipe.last_arrival);
  pipe.last_arrival = arrival;
  pipe.queue.push_back(InFlight{arrival, kind, std::move(bytes), digest});
  if (!pipe.event_pending && !pipe.held) schedule_head(id, from_side);
}

void Network::schedule_head(std::uint64_t id, int from_side) {
  Pipe& pipe = at(id).pipes[from_side];
  pipe.event_pending = true;
  world_.push_event(pipe.queue.front().arrival, EventKind::pipe_deliver,
                    id * 2 + static_cast<std::uint64_t>(from_side), pipe.generation);
}

void Network::deliver_due(std::uint64_t pipe_id, std::uint64_t generation) {
  const std::uint64_t id = pipe_id / 2;
  const int side = static_cast<int>(pipe_id % 2);
  Connection* c = find(id);
  if (c == nullptr || c->pipes[side].generation != generation) return;
  c->pipes[side].event_pending = false;
  const ProcessId from = c->ends[side].owner;
  const ProcessId to = c->ends[1 - side].owner;
  for (;;) {
    c = find(id);
    if (c == nullptr) return;
    Pipe& pipe = c->pipes[side];
    if (pipe.queue.empty()) break;
    if (pipe.queue.front().arrival > world_.true_now()) {
      if (!pipe.held) schedule_head(id, side);
      return;
    }
    if (blocked(from, to)) {
      if (reset_blocked(from, to)) {
        reset_connection(id);
      } else {
        pipe.held = true;  // waits at the cut until heal
        held_pipes_.insert(pipe_id);
      }
      return;
    }
    InFlight segment = std::move(pipe.queue.front());
    pipe.queue.pop_front();
    deliver_one(id, 1 - side, std::move(segment));
  }
  forget_if_finished(id);
}

void Network::deliver_one(std::uint64_t id, int to_side, InFlight segment) {
  Connection& c = at(id);
  Endpoint& e = c.ends[to_side];
  Process& receiver = world_.process(e.owner);
  auto answer_with_reset = [&] {
    if (segment.kind != Segment::rst) enqueue(id, to_side, Segment::rst, {});
  };
  if (!receiver.up() || e.dead) {
    // A crashed machine answers nothing; a live kernel resets a connection
    // that no process (or an earlier incarnation) holds.
    if (receiver.state() != ProcessState::crashed) answer_with_reset();
    return;
  }
  switch (segment.kind) {
    case Segment::syn:
      if (!receiver.listening_) return answer_with_reset();  // connection refused
      e.established = true;
      receiver.connections_.insert(ConnectionId{id});
      receiver.backlog_.push_back(ConnectionId{id});
      enqueue(id, to_side, Segment::syn_ack, {});
      world_.notify_one(receiver.accept_waiters_);
      return;
    case Segment::syn_ack:
      if (e.closed) return answer_with_reset();  // the client gave up meanwhile
      e.established = true;
      world_.record(e.owner, TraceKind::established, id);
      return wake(c, to_side);
    case Segment::data:
      if (e.closed) return answer_with_reset();
      if (e.reset) return;
      world_.record(e.owner, TraceKind::deliver, id, segment.bytes.size(), segment.bytes,
                    segment.digest);
      e.inbox.push_back(std::move(segment.bytes));
      return wake(c, to_side);
    case Segment::fin:
      if (e.reset) return;
      e.peer_closed = true;
      return wake(c, to_side);
    case Segment::rst:
      if (e.closed) return;
      if (!e.established) {
        e.refused = true;
        world_.record(e.owner, TraceKind::refused, id);
      } else {
        // What was already delivered stays readable before the reset is
        // reported (tests/sim/real/ measures this on Linux).
        e.reset = true;
        world_.record(e.owner, TraceKind::reset, id);
      }
      return wake(c, to_side);
  }
}

void Network::reset_connection(std::uint64_t id) {
  Connection& c = at(id);
  for (int side = 0; side < 2; ++side) {
    Endpoint& e = c.ends[side];
    Pipe& pipe = c.pipes[side];
    pipe.queue.clear();
    pipe.held = false;
    pipe.event_pending = false;
    ++pipe.generation;
    held_pipes_.erase(id * 2 + static_cast<std::uint64_t>(side));
    if (e.dead || e.closed || e.reset) continue;
    e.reset = true;  // what was in flight is lost; what was delivered stays readable
    world_.record(e.owner, TraceKind::reset, id);
    wake(c, side);
  }
  forget_if_finished(id);
}

void Network::reset_matching(ProcessId a, ProcessId b) {
  std::vector<std::uint64_t> matching;
  for (std::uint64_t id = 0; id < connections_.size(); ++id) {
    const Connection* c = connections_[id].get();
    if (c == nullptr) continue;
    const ProcessId x = c->ends[0].owner;
    const ProcessId y = c->ends[1].owner;
    if ((x == a && y == b) || (x == b && y == a)) matching.push_back(id);
  }
  for (std::uint64_t id : matching) {
    if (find(id) != nullptr) reset_connection(id);
  }
}

void Network::process_down(Process& process, bool machine_down) {
  process.listening_ = false;
  process.backlog_.clear();
  const std::set<ConnectionId> owned = std::move(process.connections_);
  process.connections_.clear();
  for (ConnectionId cid : owned) {
    const std::uint64_t id = index_of(cid);
    Connection* c = find(id);
    if (c == nullptr) continue;
    for (int side = 0; side < 2; ++side) {
      Endpoint& e = c->ends[side];
      if (e.owner != process.id() || e.dead) continue;
      const bool open = !e.closed && !e.reset;
      const bool unread_input = !e.inbox.empty();
      e.dead = true;
      e.inbox.clear();
      wake(*c, side);
      // The kernel of a machine that is up closes the dead process's sockets
      // as close() does, whether it exited or was killed: a FIN, or a reset
      // if input was left unread. A crashed machine says nothing.
      if (!machine_down && open) {
        enqueue(id, side, unread_input ? Segment::rst : Segment::fin, {});
      }
    }
    forget_if_finished(id);
  }
}

void Network::partition(ProcessId from, ProcessId to, PartitionMode mode) {
  LinkState& link = links_[{from, to}];
  if (mode == PartitionMode::reset) {
    ++link.reset;
    reset_matching(from, to);
  } else {
    ++link.hold;
  }
}

void Network::heal(ProcessId from, ProcessId to) {
  auto it = links_.find({from, to});
  if (it == links_.end()) return;
  it->second.hold = 0;
  it->second.reset = 0;
  release_held(from, to);
}

void Network::release_held(ProcessId from, ProcessId to) {
  std::vector<std::uint64_t> released;
  for (std::uint64_t pipe_id : held_pipes_) {
    const Connection* c = find(pipe_id / 2);
    const int side = static_cast<int>(pipe_id % 2);
    if (c != nullptr && c->ends[side].owner == from && c->ends[1 - side].owner == to) {
      released.push_back(pipe_id);
    }
  }
  for (std::uint64_t pipe_id : released) {
    held_pipes_.erase(pipe_id);
    const std::uint64_t id = pipe_id / 2;
    const int side = static_cast<int>(pipe_id % 2);
    Pipe& pipe = at(id).pipes[side];
    pipe.held = false;
    if (pipe.queue.empty()) continue;
    // Retransmission after heal takes one more trip; order is kept.
    TrueTime earliest = world_.true_now() + draw(from, to);
    for (InFlight& segment : pipe.queue) {
      segment.arrival = std::max(segment.arrival, earliest);
      earliest = segment.arrival;
    }
    pipe.last_arrival = std::max(pipe.last_arrival, earliest);
    ++pipe.generation;
    schedule_head(id, side);
  }
}

void Network::delay(ProcessId from, ProcessId to, Duration extra, std::uint32_t count) {
  LinkState& link = links_[{from, to}];
  link.delay_extra = extra;
  link.delayed_count = count;
}

void Network::reset_between(ProcessId a, ProcessId b) { reset_matching(a, b); }

void Network::forget_if_finished(std::uint64_t id) {
  const Connection* found = find(id);
  if (found == nullptr) return;
  const Connection& c = *found;
  for (int side = 0; side < 2; ++side) {
    const Endpoint& e = c.ends[side];
    // The accepting end of a handshake whose SYN never reached a listening
    // process (refused, dropped by a crashed machine) is held by no socket and
    // will never be closed: it must not keep the connection alive. (Without
    // this, every failed connect stayed in connections_ for good.)
    const bool never_established = side == 1 && !e.established;
    if (!(e.closed || e.dead || never_established) || !c.pipes[side].queue.empty() ||
        !c.waiters[side].empty()) {
      return;
    }
  }
  for (int side = 0; side < 2; ++side) {
    world_.process(c.ends[side].owner).connections_.erase(ConnectionId{id});
    held_pipes_.erase(id * 2 + static_cast<std::uint64_t>(side));
  }
  connections_[id].reset();
  --open_connections_;
}

}  // namespace locklab::sim
