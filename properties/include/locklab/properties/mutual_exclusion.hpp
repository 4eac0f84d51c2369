// locklab/properties/mutual_exclusion.hpp — no two clients believe they hold
// the same key at the same true time.
//
// Provides check_mutual_exclusion: over a history, every grant's belief
// interval (verdict.hpp) is compared with those of other clients on the same
// key. Two overlap when one starts strictly before the other ends; intervals
// that merely touch (end == start) do not. The first violation is the
// overlapping pair whose overlap starts earliest in true time.
//
// Verdicts: violation if any overlap is certain; otherwise unknown if some
// grant's belief cannot be computed (an acquire or extend ok without a
// validity end on the true time line); otherwise ok.
//
// Deliberately absent: overlaps between two grants of the same client (a
// process re-acquiring what it holds is the lock's business, not mutual
// exclusion between clients), and any judgement of whether the lock *should*
// have granted (that is liveness).
//
//   sim::refresh_validity(history, world);   // a simulated run: validity ends in true time
//   Verdict v = properties::check_mutual_exclusion(history, sim::fault_notes(world, faults));
//
// Thread-safety: the checkers are pure functions of their arguments and the
// types plain values; many checks may run at once on different threads.
#pragma once

#include <span>

#include "locklab/history/history.hpp"
#include "locklab/properties/verdict.hpp"

namespace locklab::properties {

Verdict check_mutual_exclusion(const history::History& history,
                               std::span<const FaultNote> faults = {});

}  // namespace locklab::properties
