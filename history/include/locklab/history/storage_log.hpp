// locklab/history/storage_log.hpp — what the protected resource received.
//
// Provides StorageWrite (one write the storage service received: writer,
// grant, fencing token, payload, the true time it was applied, accepted or
// not) and StorageLog (every write in the order applied, with the highest
// accepted token), and the log's JSON Lines form in both directions. The
// resource-safety checker reads it beside the history.
//
// Deliberately absent: the service that fills it. In a simulated world that
// is sim::storage_service (sim/storage.hpp), which decides acceptance; here a
// write is appended as received, accepted or not.
//
// Thread-safety: a plain value. Concurrent reads are safe; append needs
// exclusive access.
//
//   history::StorageLog log;
//   log.append({.writer = history::ProcessId{1}, .grant = 3, .fencing_token = 7,
//               .payload = "x=1", .applied_true = t, .accepted = true});
//   std::string text = log.to_jsonl();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/history/process_id.hpp"
#include "locklab/history/time.hpp"

namespace locklab::history {

// One write the service received.
struct StorageWrite {
  ProcessId writer = kNoProcess;
  std::string writer_name;
  std::uint64_t grant = 0;  // the history's grant id the writer acted for (0: none)
  std::optional<std::uint64_t> fencing_token;
  std::string payload;
  TrueTime applied_true{};  // when the service applied (or rejected) it
  bool accepted = false;

  bool operator==(const StorageWrite&) const = default;
};

// Every write received, in the order applied.
class StorageLog {
 public:
  const std::vector<StorageWrite>& writes() const { return writes_; }
  std::optional<std::uint64_t> highest_accepted_token() const { return highest_; }

  // Appends a write as received (accepted decided by the caller).
  void append(StorageWrite write);

  // One JSON object per line, in log order. payload (or payload_hex when not
  // UTF-8) keeps the bytes exactly.
  std::string to_jsonl() const;
  // Throws std::runtime_error naming the line and the field on bad input.
  static StorageLog from_jsonl(std::string_view text);

  bool operator==(const StorageLog& other) const { return writes_ == other.writes_; }

 private:
  std::vector<StorageWrite> writes_;
  std::optional<std::uint64_t> highest_;
};

}  // namespace locklab::history
