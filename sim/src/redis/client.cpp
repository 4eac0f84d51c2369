#include "locklab/sim/redis/client.hpp"

#include <utility>

namespace locklab::sim::redis {

SimResult<void> Client::connect(LocalTime deadline) {
  if (socket_.valid()) return {};
  SimResult<Socket> opened = self_.connect(node_(), deadline);
  if (!opened) return std::unexpected(opened.error());
  socket_ = std::move(*opened);
  return {};
}

SimResult<void> Client::send(const Argv& argv, LocalTime deadline) {
  last_sent_ = false;
  if (SimResult<void> open = connect(deadline); !open) return open;
  encode_command(argv, buffer_);
  return send_buffer();
}

SimResult<void> Client::send(std::span<const std::string_view> argv, LocalTime deadline) {
  last_sent_ = false;
  if (SimResult<void> open = connect(deadline); !open) return open;
  encode_command(argv, buffer_);
  return send_buffer();
}

SimResult<void> Client::send_encoded(std::string_view command, std::uint64_t digest,
                                     LocalTime deadline) {
  last_sent_ = false;
  if (SimResult<void> open = connect(deadline); !open) return open;
  buffer_.assign(command);
  return send_buffer(digest);
}

SimResult<void> Client::send_buffer(std::optional<std::uint64_t> digest) {
  SimResult<void> sent =
      digest ? socket_.send(std::move(buffer_), *digest) : socket_.send(std::move(buffer_));
  if (!sent) {
    socket_.close();
    return sent;
  }
  last_sent_ = true;
  return {};
}

SimResult<Reply> Client::receive(LocalTime deadline) {
  SimResult<std::string> bytes = socket_.recv(deadline);
  if (!bytes) {
    socket_.close();  // never reuse a connection a reply may still arrive on
    return std::unexpected(bytes.error());
  }
  std::optional<Reply> reply = decode_reply(*bytes);
  buffer_ = std::move(*bytes);  // storage for the next command
  if (!reply) {
    socket_.close();
    return std::unexpected(SimError::connection_reset);  // a protocol error ends the connection
  }
  return std::move(*reply);
}

SimResult<Reply> Client::call(const Argv& argv, LocalTime deadline) {
  if (SimResult<void> sent = send(argv, deadline); !sent) return std::unexpected(sent.error());
  return receive(deadline);
}

}  // namespace locklab::sim::redis
