// tests/properties/hand_history.hpp — histories written by hand, for checker
// tests.
//
// Times are milliseconds of true time; every client's clock reads true time,
// so a validity end is given once and used as both local and true. Clients
// are numbered; client n is process n, named "c<n>".
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>

#include "locklab/history/history.hpp"
#include "locklab/history/storage_log.hpp"

namespace locklab::properties::testing {

using history::OpKind;
using history::OpStatus;

inline history::TrueTime ms(std::int64_t n) {
  return history::true_time(std::chrono::milliseconds(n));
}

class HandHistory {
 public:
  // An acquire by client `c` on `key`; ok ones become grant <returned id>.
  std::uint64_t acquire(std::uint32_t c, std::string key, std::int64_t invoked,
                        std::int64_t completed, OpStatus status = OpStatus::ok,
                        std::optional<std::int64_t> valid_until = {},
                        std::optional<std::uint64_t> token = {},
                        std::optional<std::string> lock_token = {}) {
    history::Operation op = base(c, std::move(key), OpKind::acquire, 0, invoked, completed, status);
    op.id = next_++;
    if (status == OpStatus::ok) op.grant = op.id;
    op.outcome = status == OpStatus::ok ? "acquired" : status == OpStatus::info ? "indeterminate" : "busy";
    op.fencing_token = token;
    op.lock_token = std::move(lock_token);
    set_validity(op, valid_until);
    history.append(op);
    return op.id;
  }
  // The same, by a holder inside client `c` with its own name (a lock
  // manager's waiter), valid until `valid_until`.
  std::uint64_t acquire_as(std::uint32_t c, std::string holder, std::string key, std::int64_t invoked,
                           std::int64_t completed, std::int64_t valid_until) {
    history::Operation op = base(c, std::move(key), OpKind::acquire, 0, invoked, completed, OpStatus::ok);
    op.client_name = std::move(holder);
    op.id = next_++;
    op.grant = op.id;
    op.outcome = "acquired";
    set_validity(op, valid_until);
    history.append(op);
    return op.id;
  }
  // An acquire by client `c` that took a deadline (true and local time are
  // the same here); it fails (busy) unless `valid_until` makes it a grant.
  std::uint64_t acquire_by(std::uint32_t c, std::string key, std::int64_t invoked, std::int64_t deadline,
                           std::int64_t completed, std::optional<std::int64_t> valid_until = {}) {
    history::Operation op = base(c, std::move(key), OpKind::acquire, 0, invoked, completed,
                                 valid_until ? OpStatus::ok : OpStatus::fail);
    op.id = next_++;
    if (valid_until) op.grant = op.id;
    op.outcome = valid_until ? "acquired" : "busy";
    op.deadline_local = history::local_time(std::chrono::milliseconds(deadline));
    set_validity(op, valid_until);
    history.append(op);
    return op.id;
  }
  std::uint64_t release(std::uint64_t grant, std::int64_t invoked, std::int64_t completed,
                        OpStatus status = OpStatus::ok) {
    return add(grant, OpKind::release, invoked, completed, status, {}, {});
  }
  std::uint64_t extend(std::uint64_t grant, std::int64_t invoked, std::int64_t completed,
                       OpStatus status, std::optional<std::int64_t> valid_until = {}) {
    return add(grant, OpKind::extend, invoked, completed, status, valid_until, {});
  }
  std::uint64_t write(std::uint64_t grant, std::int64_t invoked, std::int64_t completed,
                      std::optional<std::uint64_t> token = {}) {
    return add(grant, OpKind::write, invoked, completed, OpStatus::ok, {}, token);
  }

  history::History history;

 private:
  static history::Operation base(std::uint32_t c, std::string key, OpKind kind, std::uint64_t grant,
                             std::int64_t invoked, std::int64_t completed, OpStatus status) {
    history::Operation op;
    op.client = history::ProcessId{c};
    op.client_name = fmt::format("c{}", c);
    op.key = std::move(key);
    op.kind = kind;
    op.grant = grant;
    op.invoked_true = ms(invoked);
    op.invoked_local = history::local_time(op.invoked_true.time_since_epoch());
    op.status = status;
    if (status != OpStatus::pending) {
      op.completed_true = ms(completed);
      op.completed_local = history::local_time(op.completed_true.time_since_epoch());
    }
    return op;
  }
  static void set_validity(history::Operation& op, std::optional<std::int64_t> valid_until) {
    if (!valid_until) return;
    op.validity_end_true = ms(*valid_until);
    op.validity_end_local = history::local_time(op.validity_end_true->time_since_epoch());
  }
  std::uint64_t add(std::uint64_t grant, OpKind kind, std::int64_t invoked, std::int64_t completed,
                    OpStatus status, std::optional<std::int64_t> valid_until,
                    std::optional<std::uint64_t> token) {
    const history::Operation& acquire = history.at(grant);
    history::Operation op = base(history::index_of(acquire.client), acquire.key, kind, grant,
                                 invoked, completed, status);
    op.id = next_++;
    op.outcome = status == OpStatus::ok ? "ok" : std::string(history::name_of(status));
    op.fencing_token = token;
    set_validity(op, valid_until);
    history.append(op);
    return op.id;
  }

  std::uint64_t next_ = 1;
};

// A storage-log entry applied at `applied` ms.
inline history::StorageWrite logged(std::uint32_t writer, std::uint64_t grant,
                                std::optional<std::uint64_t> token, std::int64_t applied,
                                bool accepted = true) {
  return {.writer = history::ProcessId{writer},
          .writer_name = fmt::format("c{}", writer),
          .grant = grant,
          .fencing_token = token,
          .payload = fmt::format("w{}", applied),
          .applied_true = ms(applied),
          .accepted = accepted};
}

}  // namespace locklab::properties::testing
