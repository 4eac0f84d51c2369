// locklab/properties/token_hygiene.hpp — fencing tokens rise with every grant
// of a key; lock tokens are never handed out twice.
//
// Provides check_token_hygiene over a history. The grants it judges are the
// acquires that completed ok, except those whose belief interval is empty
// (validity already over when the acquire returned: the client never uses
// such a grant, and a reply delayed past its lease may carry an old token
// without harm). They are ordered by the true time their acquire completed,
// ties by op id. Three rules:
//
//   fencing_order      on one key, each grant with a fencing token has a token
//                      strictly greater than the previous such grant's. first
//                      = the earlier grant, second = the later one whose token
//                      is not greater.
//   fencing_missing    on one key, either every grant has a fencing token or
//                      none has (a fenced lock that hands out an unfenced
//                      grant lets its holder write unchecked; an unfenced lock
//                      has nothing to check). first = the key's first grant
//                      with a token, second = its first grant without one, or
//                      the other way round, whichever completed first is first.
//   lock_token_repeat  no two grants, on any keys, share a lock token (grants
//                      with an empty belief included: a repeat is a repeat).
//                      first = the earlier grant, second = the repeat.
//
// at/until: the two grants' acquire completions. The first violation is the
// one whose later grant completed first, ties in the order above.
//
// Info and pending acquires are not grants: the lock returned no lease, so no
// token was recorded. An info acquire may still have consumed a fencing token
// on the servers; strict increase allows the gap.
//
// Verdicts: violation if one is certain; otherwise unknown if some judged
// grant has no lock token recorded (a history from before lock tokens were
// recorded cannot show they never repeat); otherwise ok.
//
// Cost: O(n log n).
//
//   Verdict v = properties::check_token_hygiene(history, notes);
//
// Thread-safety: the checkers are pure functions of their arguments and the
// types plain values; many checks may run at once on different threads.
#pragma once

#include <span>

#include "locklab/history/history.hpp"
#include "locklab/properties/verdict.hpp"

namespace locklab::properties {

Verdict check_token_hygiene(const history::History& history, std::span<const FaultNote> faults = {});

}  // namespace locklab::properties
