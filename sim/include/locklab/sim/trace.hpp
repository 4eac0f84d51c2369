// locklab/sim/trace.hpp — the record of everything that happened in a world.
//
// Provides Trace: every event the world processes becomes a TraceRecord with
// its true time, the process it concerns, that process's local time, a kind
// and two integer operands plus optional text (message bytes, notes).
//
// The trace hash is chained from record to record, starting from the FNV-1a
// offset basis. Canonical encoding, version 2: each record is six 64-bit
// words, each folded in by one xxHash64 round (trace_hash.hpp):
//   u8 version=2 | u8 kind << 8 | u32 process << 32, i64 true_ns,
//   i64 local_ns, u64 a, u64 b, text_digest(text).
// The text digest covers the length and the bytes, read 8 at a time as
// little-endian words (the same value on every platform). A message's digest
// is computed once, when it is sent, and reused for its delivery record.
// Every round is a bijection of the running hash, so a change in any one word
// always changes the hash. Two runs with equal hashes saw the same events in
// the same order with the same data. Process names are not hashed (they are
// labels, not behaviour).
//
// Output on request: JSON Lines (one object per record) to a stream, and/or the
// records kept in memory. By default only the hash and per-kind counts are
// kept, which is what determinism checks need and costs no allocation.
//
//   Trace trace({.jsonl = &std::cout});
//   trace.record(now, pid, local, TraceKind::note, 0, 0, "hello");
//   std::uint64_t h = trace.hash();
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/ids.hpp"
#include "locklab/sim/time.hpp"

namespace locklab::sim {

// Append new kinds at the end: the numeric value is part of the hash.
enum class TraceKind : std::uint8_t {
  process_start,    // a = incarnation
  process_exit,     // main function returned; a = incarnation
  fiber_start,      // a = fiber id
  fiber_exit,       // a = fiber id, b = FiberEnd
  timer,            // a fiber's deadline passed; a = fiber id
  process_pause,
  process_resume,
  process_kill,
  machine_crash,
  process_restart,  // a = new incarnation
  clock_jump,       // a = delta ns (two's complement)
  clock_drift,      // a = ppm (two's complement)
  link_partition,   // process = from, a = to, b = mode (0 hold, 1 reset)
  link_heal,        // process = from, a = to
  message_delay,    // process = from, a = to, b = extra ns
  connect,          // a = connection, b = target process
  accept,           // a = connection, b = client process
  established,      // a = connection
  refused,          // a = connection
  close,            // a = connection (this end closed gracefully)
  reset,            // a = connection (this end saw a reset)
  send,             // a = connection, b = byte count, text = bytes
  deliver,          // a = connection, b = byte count, text = bytes
  note,             // text = what the process said
  failure,          // text = why the run failed
  disk_sync,        // text = file name
  connection_reset_fault,  // process = one end, a = other end
};

inline constexpr std::size_t kTraceKindCount =
    static_cast<std::size_t>(TraceKind::connection_reset_fault) + 1;

std::string_view name_of(TraceKind kind);

// How a fiber ended.
enum class FiberEnd : std::uint8_t { returned = 0, killed = 1, threw = 2 };

struct TraceRecord {
  std::uint64_t seq = 0;
  TrueTime at;
  ProcessId process = kNoProcess;
  LocalTime local;
  TraceKind kind = TraceKind::note;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::string text;
};

struct TraceOptions {
  std::ostream* jsonl = nullptr;  // write each record as a JSON line here
  bool keep_records = false;      // keep every record in memory
};

class Trace {
 public:
  static constexpr std::uint8_t kFormatVersion = 2;

  // What a record's text contributes to the hash; a caller that records the
  // same bytes twice (a message's send and delivery) may compute it once.
  static std::uint64_t digest(std::string_view text);

  explicit Trace(TraceOptions options = {});

  void record(TrueTime at, ProcessId process, LocalTime local, TraceKind kind,
              std::uint64_t a = 0, std::uint64_t b = 0, std::string_view text = {});
  // As above, with `text_digest` == digest(text) already computed.
  void record(TrueTime at, ProcessId process, LocalTime local, TraceKind kind, std::uint64_t a,
              std::uint64_t b, std::string_view text, std::uint64_t text_digest);

  // Labels for JSON output; not part of the hash.
  void name_process(ProcessId id, std::string name);

  std::uint64_t hash() const { return hash_; }
  std::uint64_t size() const { return count_; }
  std::uint64_t count(TraceKind kind) const { return per_kind_[static_cast<std::size_t>(kind)]; }
  const std::vector<TraceRecord>& records() const { return records_; }

  // A few human-readable lines: record counts by kind and the hash.
  std::string summary() const;

 private:
  void write_json(const TraceRecord& r) const;

  TraceOptions options_;
  std::uint64_t hash_;
  std::uint64_t count_ = 0;
  std::array<std::uint64_t, kTraceKindCount> per_kind_{};
  std::vector<TraceRecord> records_;
  std::vector<std::string> process_names_;
};

}  // namespace locklab::sim
