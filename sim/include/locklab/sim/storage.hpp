// locklab/sim/storage.hpp — the protected resource: a simulated storage service.
//
// Provides storage_service(name, options, log): a ProcessSpec for
// World::add_process that accepts writes over the simulated network and
// records every one it receives in a StorageLog (history/storage_log.hpp:
// writer, grant, fencing token, payload, the true time it was applied,
// accepted or not); and
// StorageClient, what a lock holder's process uses to write to it.
//
// Semantics:
//   - one write per message, applied when the service reads it, in arrival
//     order (per connection, and across connections in the order the world
//     delivers them). A client that was paused between deciding to write and
//     sending sends late, and its write arrives and is applied late: the log
//     shows the true time it was applied, not when its writer meant it.
//   - fenced mode rejects a write whose token is lower than the highest token
//     accepted so far (an equal token is accepted: one holder writes many
//     times), and any write without a token. Unfenced mode accepts every
//     write. Rejected writes are logged too (accepted = false).
//   - the log is the storage's durable state, owned outside the world: it
//     survives kills and restarts of the service, and the highest accepted
//     token with it.
//   - a paused service applies the writes that queued meanwhile on resume, at
//     the resume time; a killed one applies nothing until restarted (the
//     client sees its connection reset or refused).
//
// Wire format (one message each way; integers little-endian):
//   request: 'W', u64 grant, u8 has_token, u64 token (0 if none), payload bytes
//            (the rest of the message: binary-safe).
//   reply:   'A' (accepted) or 'R' (rejected_stale).
// A malformed request closes the connection without logging anything.
//
// Deliberately absent: reads, keys or files (one resource, one register of
// writes), durability faults of the storage itself.
//
//   auto log = std::make_shared<sim::StorageLog>();
//   auto store = world.add_process(sim::storage_service("storage", {.fenced = true}, log));
//   // in a client:
//   sim::StorageClient storage(p, store);
//   SimResult<sim::WriteResult> r = storage.write(grant, token, "x=1", p.now() + 50ms);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/history/storage_log.hpp"
#include "locklab/sim/errors.hpp"
#include "locklab/sim/ids.hpp"
#include "locklab/sim/network.hpp"
#include "locklab/sim/process.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

// The log's records are the history's (locklab/history/storage_log.hpp), so
// the checkers read them without the simulator.
using history::StorageLog;
using history::StorageWrite;

struct StorageOptions {
  bool fenced = false;  // reject tokens older than the highest accepted
};

// Whether a storage in this mode, having accepted up to `highest`, accepts a
// write with `token`.
bool storage_accepts(const StorageOptions& options, std::optional<std::uint64_t> highest,
                     std::optional<std::uint64_t> token);

ProcessSpec storage_service(std::string name, StorageOptions options,
                            std::shared_ptr<StorageLog> log);

enum class WriteResult : std::uint8_t { accepted, rejected_stale };
std::string_view name_of(WriteResult result);  // "accepted", "rejected_stale"

// A connection to a storage service for code inside a world. As
// redis::Client: after a timeout or any error the connection is closed and the
// next write reconnects, so a late reply is never taken for a later write's.
// A write that timed out may still be applied (it is on the wire): record it
// as indeterminate.
class StorageClient {
 public:
  StorageClient(Process& self, ProcessId service) : self_(self), service_(service) {}

  SimResult<WriteResult> write(std::uint64_t grant, std::optional<std::uint64_t> token,
                               std::string payload, LocalTime deadline);
  bool connected() const { return socket_.valid(); }
  void disconnect() { socket_.close(); }

 private:
  Process& self_;
  ProcessId service_;
  Socket socket_;
};

// The wire format, exposed for tests.
struct StorageRequest {
  std::uint64_t grant = 0;
  std::optional<std::uint64_t> token;
  std::string payload;
};
std::string encode_storage_request(const StorageRequest& request);
std::optional<StorageRequest> decode_storage_request(std::string_view bytes);

}  // namespace locklab::sim
