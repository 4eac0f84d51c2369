// The storage log: appending writes as received, and JSON Lines in both
// directions.
#include "locklab/history/storage_log.hpp"

#include <utility>

#include "jsonl_fields.hpp"

namespace locklab::history {

namespace {

constexpr std::string_view kWhat = "storage log";

}  // namespace

void StorageLog::append(StorageWrite write) {
  if (write.accepted && write.fencing_token &&
      (!highest_ || *write.fencing_token > *highest_)) {
    highest_ = write.fencing_token;
  }
  writes_.push_back(std::move(write));
}

std::string StorageLog::to_jsonl() const {
  std::string out;
  for (const StorageWrite& w : writes_) {
    jsonl::Json j;
    if (w.writer == kNoProcess) {
      j["writer"] = nullptr;
    } else {
      j["writer"] = index_of(w.writer);
    }
    jsonl::put_bytes(j, "writer_name", w.writer_name);
    j["grant"] = w.grant;
    if (w.fencing_token) j["fencing_token"] = *w.fencing_token;
    jsonl::put_bytes(j, "payload", w.payload);
    j["applied_true_ns"] = nanos(w.applied_true);
    j["accepted"] = w.accepted;
    out += j.dump();
    out += '\n';
  }
  return out;
}

StorageLog StorageLog::from_jsonl(std::string_view text) {
  StorageLog log;
  jsonl::for_each_line(kWhat, text, [&](std::size_t line, const jsonl::Json& object) {
    const jsonl::Fields f(kWhat, line, object);
    StorageWrite w;
    if (!object.contains("writer")) f.fail("writer", "missing");
    if (!object["writer"].is_null()) {
      const std::uint64_t writer = f.u64("writer");
      if (writer >= index_of(kNoProcess)) f.fail("writer", "not a process index");
      w.writer = ProcessId{static_cast<std::uint32_t>(writer)};
    }
    w.writer_name = f.bytes("writer_name");
    w.grant = f.u64("grant");
    w.fencing_token = f.optional_u64("fencing_token");
    w.payload = f.bytes("payload");
    w.applied_true = true_time(Duration{f.i64("applied_true_ns")});
    w.accepted = f.boolean("accepted");
    log.append(std::move(w));
  });
  return log;
}

}  // namespace locklab::history
