// locklab/properties/resource_safety.hpp — the protected resource never takes
// a write from an earlier grant after one from a later grant.
//
// Provides check_resource_safety, run on every history, fenced or not. Grants
// are ordered by the true time their acquire completed (ties by op id). For
// each key, walking the storage log's accepted writes in log order, a write
// whose grant is ordered before the latest grant already written for that key
// is a violation: a holder that lost the lock (paused, partitioned, its lease
// expired) wrote after its successor did. With fencing on, the resource
// rejects such writes; with fencing off, this checker is what catches the
// paused client's stale write that mutual exclusion, judging belief only,
// does not.
//
// A write's grant is looked up in the history: an acquire of any status except
// pending orders it (an info acquire may have succeeded; its write still
// counts). Verdicts: violation if one is certain; otherwise unknown if some
// accepted write names no grant, a grant absent from the history, or an
// acquire that never completed; otherwise ok. Rejected writes are ignored.
//
//   Verdict v = properties::check_resource_safety(history, *storage_log, notes);
//
// Thread-safety: the checkers are pure functions of their arguments and the
// types plain values; many checks may run at once on different threads.
#pragma once

#include <span>

#include "locklab/history/history.hpp"
#include "locklab/history/storage_log.hpp"
#include "locklab/properties/verdict.hpp"

namespace locklab::properties {

Verdict check_resource_safety(const history::History& history, const history::StorageLog& log,
                              std::span<const FaultNote> faults = {});

}  // namespace locklab::properties
