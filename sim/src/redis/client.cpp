#include "locklab/sim/redis/client.hpp"

#include <utility>

namespace locklab::sim::redis {

SimResult<Reply> Client::call(const Argv& argv, LocalTime deadline) {
  if (!socket_.valid()) {
    SimResult<Socket> opened = self_.connect(node_(), deadline);
    if (!opened) return std::unexpected(opened.error());
    socket_ = std::move(*opened);
  }
  SimResult<std::string> bytes = std::unexpected(SimError::connection_closed);
  if (SimResult<void> sent = socket_.send(encode_command(argv)); sent) {
    bytes = socket_.recv(deadline);
  } else {
    bytes = std::unexpected(sent.error());
  }
  if (!bytes) {
    socket_.close();  // never reuse a connection a reply may still arrive on
    return std::unexpected(bytes.error());
  }
  std::optional<Reply> reply = decode_reply(*bytes);
  if (!reply) {
    socket_.close();
    return std::unexpected(SimError::connection_reset);  // a protocol error ends the connection
  }
  return std::move(*reply);
}

}  // namespace locklab::sim::redis
