// The protected resource: a storage service that logs every write it receives
// and, fenced, rejects stale tokens; and its client.
#include "locklab/sim/storage.hpp"

#include <fmt/format.h>

#include <utility>

#include "locklab/assert.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {

namespace {

constexpr char kWriteTag = 'W';
constexpr char kAccepted = 'A';
constexpr char kRejected = 'R';
constexpr std::size_t kHeaderSize = 1 + 8 + 1 + 8;

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint64_t get_u64(std::string_view in) {
  std::uint64_t v = 0;
  for (std::size_t i = 8; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// Serves one connection: read a write, apply it, answer, until the
// connection ends or a request is malformed.
void serve(Process& self, const StorageOptions& options, StorageLog& log, Socket& socket) {
  const ProcessId writer = socket.peer();
  const std::string writer_name = self.world().process(writer).name();
  for (;;) {
    SimResult<std::string> message = socket.recv();
    if (!message) return;
    std::optional<StorageRequest> request = decode_storage_request(*message);
    if (!request) {
      self.note(fmt::format("malformed write from {}: closing", writer_name));
      return;
    }
    const bool accepted = storage_accepts(options, log.highest_accepted_token(), request->token);
    self.note(fmt::format("write grant {} token {} from {}: {}", request->grant,
                          request->token ? std::to_string(*request->token) : "none", writer_name,
                          accepted ? "accepted" : "rejected_stale"));
    log.append({.writer = writer,
                .writer_name = writer_name,
                .grant = request->grant,
                .fencing_token = request->token,
                .payload = std::move(request->payload),
                .applied_true = self.world().true_now(),  // the world's observation
                .accepted = accepted});
    if (!socket.send(std::string(1, accepted ? kAccepted : kRejected))) return;
  }
}

void run_storage(Process& self, const StorageOptions& options,
                 const std::shared_ptr<StorageLog>& log) {
  Listener listener = self.listen();
  for (std::uint64_t n = 0;; ++n) {
    SimResult<Socket> accepted = listener.accept();
    if (!accepted) return;
    auto socket = std::make_shared<Socket>(std::move(*accepted));
    self.spawn(fmt::format("writer-{}", n),
               [&self, options, log, socket] { serve(self, options, *log, *socket); });
  }
}

}  // namespace

bool storage_accepts(const StorageOptions& options, std::optional<std::uint64_t> highest,
                     std::optional<std::uint64_t> token) {
  if (!options.fenced) return true;
  if (!token) return false;  // fencing needs a token to compare
  return !highest || *token >= *highest;
}

ProcessSpec storage_service(std::string name, StorageOptions options,
                            std::shared_ptr<StorageLog> log) {
  LOCKLAB_ASSERT(log != nullptr, "storage_service needs a log");
  ProcessSpec spec;
  spec.name = std::move(name);
  spec.main = [options, log = std::move(log)](Process& p) { run_storage(p, options, log); };
  return spec;
}

std::string_view name_of(WriteResult result) {
  switch (result) {
    case WriteResult::accepted: return "accepted";
    case WriteResult::rejected_stale: return "rejected_stale";
  }
  return "unknown";
}

std::string encode_storage_request(const StorageRequest& request) {
  std::string out;
  out.reserve(kHeaderSize + request.payload.size());
  out.push_back(kWriteTag);
  put_u64(out, request.grant);
  out.push_back(request.token ? '\1' : '\0');
  put_u64(out, request.token.value_or(0));
  out += request.payload;
  return out;
}

std::optional<StorageRequest> decode_storage_request(std::string_view bytes) {
  if (bytes.size() < kHeaderSize || bytes[0] != kWriteTag) return std::nullopt;
  const char has_token = bytes[9];
  if (has_token != '\0' && has_token != '\1') return std::nullopt;
  StorageRequest request;
  request.grant = get_u64(bytes.substr(1, 8));
  if (has_token == '\1') request.token = get_u64(bytes.substr(10, 8));
  request.payload = std::string(bytes.substr(kHeaderSize));
  return request;
}

SimResult<WriteResult> StorageClient::write(std::uint64_t grant, std::optional<std::uint64_t> token,
                                            std::string payload, LocalTime deadline) {
  if (!socket_.valid()) {
    SimResult<Socket> opened = self_.connect(service_, deadline);
    if (!opened) return std::unexpected(opened.error());
    socket_ = std::move(*opened);
  }
  const std::string request =
      encode_storage_request({.grant = grant, .token = token, .payload = std::move(payload)});
  SimResult<std::string> reply = std::unexpected(SimError::connection_closed);
  if (SimResult<void> sent = socket_.send(request); sent) {
    reply = socket_.recv(deadline);
  } else {
    reply = std::unexpected(sent.error());
  }
  if (!reply) {
    socket_.close();  // never reuse a connection a reply may still arrive on
    return std::unexpected(reply.error());
  }
  if (*reply == std::string_view(&kAccepted, 1)) return WriteResult::accepted;
  if (*reply == std::string_view(&kRejected, 1)) return WriteResult::rejected_stale;
  socket_.close();
  return std::unexpected(SimError::connection_reset);  // a protocol error ends the connection
}

}  // namespace locklab::sim
