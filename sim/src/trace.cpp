#include "locklab/sim/trace.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "locklab/sim/rng.hpp"
#include "trace_hash.hpp"

namespace locklab::sim {

namespace {

constexpr std::array<std::string_view, kTraceKindCount> kKindNames = {
    "process_start", "process_exit",   "fiber_start",   "fiber_exit",     "timer",
    "process_pause", "process_resume", "process_kill",  "machine_crash",  "process_restart",
    "clock_jump",    "clock_drift",    "link_partition", "link_heal",     "message_delay",
    "connect",       "accept",         "established",   "refused",        "close",
    "reset",         "send",           "deliver",       "note",           "failure",
    "disk_sync",     "connection_reset_fault",
};

}  // namespace

std::string_view name_of(TraceKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

Trace::Trace(TraceOptions options) : options_(options), hash_(kFnvOffsetBasis) {}

std::uint64_t Trace::digest(std::string_view text) {
  return detail::hash_bytes(text, kFnvOffsetBasis);
}

void Trace::record(TrueTime at, ProcessId process, LocalTime local, TraceKind kind,
                   std::uint64_t a, std::uint64_t b, std::string_view text) {
  record(at, process, local, kind, a, b, text, digest(text));
}

void Trace::record(TrueTime at, ProcessId process, LocalTime local, TraceKind kind,
                   std::uint64_t a, std::uint64_t b, std::string_view text,
                   std::uint64_t text_digest) {
  using detail::hash_round;
  std::uint64_t h = hash_;
  h = hash_round(h, std::uint64_t{kFormatVersion} |
                        std::uint64_t{static_cast<std::uint8_t>(kind)} << 8 |
                        std::uint64_t{index_of(process)} << 32);
  h = hash_round(h, static_cast<std::uint64_t>(nanos(at)));
  h = hash_round(h, static_cast<std::uint64_t>(nanos(local)));
  h = hash_round(h, a);
  h = hash_round(h, b);
  hash_ = hash_round(h, text_digest);
  ++per_kind_[static_cast<std::size_t>(kind)];

  if (options_.jsonl != nullptr || options_.keep_records) {
    TraceRecord r{count_, at, process, local, kind, a, b, std::string(text)};
    if (options_.jsonl != nullptr) write_json(r);
    if (options_.keep_records) records_.push_back(std::move(r));
  }
  ++count_;
}

void Trace::name_process(ProcessId id, std::string name) {
  const std::size_t index = index_of(id);
  if (process_names_.size() <= index) process_names_.resize(index + 1);
  process_names_[index] = std::move(name);
}

void Trace::write_json(const TraceRecord& r) const {
  nlohmann::ordered_json line;
  line["seq"] = r.seq;
  line["t_ns"] = nanos(r.at);
  if (r.process != kNoProcess) {
    const std::size_t index = index_of(r.process);
    line["process"] = index < process_names_.size() && !process_names_[index].empty()
                          ? process_names_[index]
                          : fmt::format("p{}", index);
    line["local_ns"] = nanos(r.local);
  }
  line["kind"] = name_of(r.kind);
  line["a"] = r.a;
  line["b"] = r.b;
  if (!r.text.empty()) line["text"] = r.text;
  // Message bytes need not be UTF-8: replace what is not, rather than throw.
  *options_.jsonl << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::string Trace::summary() const {
  std::string out = fmt::format("trace: {} records, hash {:016x} (format v{})\n",
                                count_, hash_, kFormatVersion);
  for (std::size_t i = 0; i < kTraceKindCount; ++i) {
    if (per_kind_[i] == 0) continue;
    out += fmt::format("  {:<24} {}\n", kKindNames[i], per_kind_[i]);
  }
  return out;
}

}  // namespace locklab::sim
