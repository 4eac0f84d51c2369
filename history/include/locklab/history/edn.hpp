// locklab/history/edn.hpp — a History as a Jepsen-style EDN history.
//
// Provides to_edn(): one Jepsen op map per line, so Jepsen and Knossos users
// can load a locklab history with their own tools. Each operation becomes an
// :invoke map at its invocation and, unless it is still pending, one
// completion map (:ok, :fail or :info) at its completion, as Jepsen histories
// are; an operation that never completed (its process died) has only its
// invoke, Jepsen's convention for a crashed process.
//
//   {:type :invoke, :f :acquire, :process 1, :time 5000000, :key "k", :value nil}
//   {:type :ok, :f :acquire, :process 1, :time 9000000, :key "k", :value {:grant 1, :fencing-token 7, :lock-token "ab12"}}
//   {:type :fail, :f :acquire, :process 2, :time 9500000, :key "k", :value nil, :error "busy"}
//
// Fields: :process is the client's process index (nil when none); :time the
// true time in nanoseconds; :value on an invoke is the grant the op acts for
// (nil for an acquire or when none); on a completion a map of :grant (when
// not 0), :fencing-token and :lock-token (when present), or nil when empty;
// fail and info completions add :error with the lock's outcome word. Maps are
// ordered by time, ties by op id, an op's invoke before its own completion.
//
// Deliberately absent: reading EDN back (JSON Lines is locklab's own format;
// History::from_jsonl reads it) and local times and validity ends, which
// Jepsen's model has no place for.
//
// Thread-safety: a pure function of its argument.
//
//   std::ofstream("history.edn") << history::to_edn(h);
#pragma once

#include <string>

#include "locklab/history/history.hpp"

namespace locklab::history {

std::string to_edn(const History& history);

}  // namespace locklab::history
