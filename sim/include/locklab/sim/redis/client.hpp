// locklab/sim/redis/client.hpp — a Redis connection for code inside a world.
//
// Provides Client: what hiredis is to a real process, for a simulated one.
// One connection to one node; call() sends a command and waits for its reply
// until a deadline on the caller's clock. After a timeout (or any network
// error) the connection is closed and the next call opens a new one, as a
// hiredis context must be replaced after an error: a late reply can never be
// matched to a later request. The bytes already sent still reach the node and
// may still be applied — the caller must treat a timed-out write as
// "maybe applied".
//
//   redis::Client c(process, node);
//   SimResult<Reply> r = c.call({"SET", "k", "v", "NX", "PX", "1000"}, process.now() + 50ms);
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "locklab/sim/errors.hpp"
#include "locklab/sim/network.hpp"
#include "locklab/sim/process.hpp"
#include "locklab/sim/redis/resp.hpp"

namespace locklab::sim::redis {

class Client {
 public:
  Client(Process& self, ProcessId node) : self_(self), node_([node] { return node; }) {}
  // Asks `resolve` for the node at each (re)connection (a logical name).
  Client(Process& self, std::function<ProcessId()> resolve)
      : self_(self), node_(std::move(resolve)) {}

  SimResult<Reply> call(const Argv& argv, LocalTime deadline);
  // call() in two halves, so one fiber can have requests out on several
  // connections at once: send() connects if needed and sends; receive()
  // waits for the reply to the request sent. Either closes the connection on
  // failure, as call() does.
  SimResult<void> send(const Argv& argv, LocalTime deadline);
  SimResult<void> send(std::span<const std::string_view> argv, LocalTime deadline);
  // send() of a command already encoded (encode_command): a caller sending
  // one command on several connections encodes it once.
  // `digest` is Trace::digest(command), also computed once.
  SimResult<void> send_encoded(std::string_view command, std::uint64_t digest,
                               LocalTime deadline);
  SimResult<Reply> receive(LocalTime deadline);
  // Opens the connection now if it is not open (call() does it too). Lets a
  // caller tell a failure to connect, when nothing was sent, from a failure
  // after the request went out.
  SimResult<void> connect(LocalTime deadline);
  bool connected() const { return socket_.valid(); }
  // An open connection with nothing to read: what a pool checks before it
  // reuses an idle one (owed nothing, a readable one was closed or reset by
  // the node, or carries bytes nobody asked for).
  bool idle_and_open() const { return socket_.valid() && !socket_.readable(); }
  // Whether the last call() got its request onto the connection (if not, the
  // node cannot have applied it).
  bool last_request_sent() const { return last_sent_; }
  void disconnect() { socket_.close(); }

 private:
  // Sends buffer_, the encoded request (`digest`: its trace digest, if known).
  SimResult<void> send_buffer(std::optional<std::uint64_t> digest = std::nullopt);

  Process& self_;
  std::function<ProcessId()> node_;
  Socket socket_;
  bool last_sent_ = false;
  // The last reply's bytes, whose storage the next command is encoded into:
  // the server does the same with commands, so a connection's messages pass
  // one buffer back and forth instead of allocating one each.
  std::string buffer_;
};

}  // namespace locklab::sim::redis
