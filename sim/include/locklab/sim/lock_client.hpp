// locklab/sim/lock_client.hpp — a lock client's workload in a world, with
// every operation recorded in a History (sim/history_recorder.hpp).
//
// Provides ClientWorkload (what one client does) and run_lock_client(), which
// drives any lockimpl lock (RedLock, SingleNodeLock, NaiveLock) through the
// workload: acquire; then `writes` rounds of "check the lease is still valid
// by the client's own clock (a careful client: that it outlasts the work and
// the write's timeout); work for `hold`; write to the protected storage with
// the grant's fencing token"; release; think; repeat. Each
// acquire, write and release is invoked and completed in the History with the
// outcome in words (an acquire ok with its fencing token, validity end and
// lock token), so the checkers in properties/ can judge the run.
//
// The validity check comes before the work, not after it: a pause during the
// work (a GC pause, a stop-the-world) makes the write land after the lease
// ended — the classic stale write that only fencing stops.
//
// Status mapping, as Jepsen's: acquired → ok; indeterminate → info (may hold
// somewhere); other refusals → fail. A write accepted → ok, rejected → fail,
// no reply → info. A release released → ok; not_held → fail; otherwise info.
//
//   sim::ClientWorkload w{.key = "job", .iterations = 3, .hold = 50ms};
//   sim::run_lock_client(p, lock, history, &storage, w);
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "locklab/lock/detail/saturate.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/sim/history_recorder.hpp"
#include "locklab/sim/process.hpp"
#include "locklab/sim/storage.hpp"

namespace locklab::sim {

struct ClientWorkload {
  std::string key = "lock";
  int iterations = 1;
  Duration start_after{0};                     // before the first acquire
  Duration acquire_timeout = std::chrono::seconds(2);
  int writes = 1;                              // per grant
  Duration hold = std::chrono::milliseconds(10);   // work before each write
  Duration write_timeout = std::chrono::milliseconds(100);
  Duration think = std::chrono::milliseconds(10);  // between grants
  bool release = true;
  // Write only when the lease, by this client's clock, outlasts the work and
  // the write's timeout (otherwise: only when it is still valid now).
  bool careful = false;

  bool operator==(const ClientWorkload&) const = default;
};

inline OpStatus acquire_status(lock::Outcome o) {
  return o == lock::Outcome::acquired        ? OpStatus::ok
         : o == lock::Outcome::indeterminate ? OpStatus::info
                                             : OpStatus::fail;
}

inline OpStatus release_status(lock::Outcome o) {
  return o == lock::Outcome::released   ? OpStatus::ok
         : o == lock::Outcome::not_held ? OpStatus::fail
                                        : OpStatus::info;
}

template <typename Lock>
void run_lock_client(Process& p, Lock& lock, History& history, StorageClient* storage,
                     const ClientWorkload& w) {
  (void)p.sleep_for(w.start_after);
  for (int i = 0; i < w.iterations; ++i) {
    const std::uint64_t id = record_invoke(history, p, OpKind::acquire, w.key);
    auto got = lock.acquire(w.key, lock::detail::add_saturating(p.now(), w.acquire_timeout));
    std::optional<LocalTime> end;
    std::optional<std::uint64_t> fence;
    std::optional<std::string> token;
    if (got.lease) {
      end = got.lease->validity_end;
      fence = got.lease->fencing_token;
      token = got.lease->token;
    }
    record_complete(history, id, p, acquire_status(got.outcome),
                    std::string(lock::name_of(got.outcome)), fence, end, std::move(token));
    if (got.acquired()) {
      for (int k = 0; k < w.writes && storage != nullptr; ++k) {
        // Checked before the work, so a pause during it makes the classic
        // stale write. A careful holder also wants the work and the write to
        // fit in what is left of the lease by its own clock.
        // Durations from a scenario file may be centuries: sums saturate.
        const Duration needed = !w.careful                                ? Duration(0)
                                : w.hold > Duration::max() - w.write_timeout ? Duration::max()
                                                                           : w.hold + w.write_timeout;
        if (!got.lease->valid_at(lock::detail::add_saturating(p.now(), needed))) break;
        (void)p.sleep_for(w.hold);
        const std::uint64_t wid = record_invoke(history, p, OpKind::write, w.key, id);
        SimResult<WriteResult> r = storage->write(
            id, fence, p.name() + "#" + std::to_string(k), lock::detail::add_saturating(p.now(), w.write_timeout));
        record_complete(history, wid, p,
                        !r ? OpStatus::info
                           : (*r == WriteResult::accepted ? OpStatus::ok : OpStatus::fail),
                        r ? std::string(name_of(*r)) : std::string(name_of(r.error())), fence);
      }
      if (w.release) {
        const std::uint64_t rid = record_invoke(history, p, OpKind::release, w.key, id);
        lock::ReleaseResult rr = lock.release(*got.lease);
        record_complete(history, rid, p, release_status(rr.outcome),
                        std::string(lock::name_of(rr.outcome)));
      }
    }
    (void)p.sleep_for(w.think);
  }
}

}  // namespace locklab::sim
