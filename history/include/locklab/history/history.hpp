// locklab/history/history.hpp — what the clients of a run did, for checkers.
//
// Provides History: every acquire, release, extend and write a client
// invoked, and how it completed (Operation, operation.hpp), in invocation
// order, with lookup by id; and its JSON Lines form in both directions, so a
// checker, the explorer, a shrinker or a report can work on a history long
// after its run is gone, and a history recorded on real servers is read and
// judged by the same code as a simulated one.
//
// Deliberately absent: any clock, and anything of the simulator. Times come
// from whoever records: in a simulated world the recorder
// (sim/history_recorder.hpp) reads the world's true time and the process's
// local time and asks the world when a holder's clock reaches its validity
// end; a hand-written history states them. Checkers live in properties/.
//
// Thread-safety: a plain value. Concurrent reads are safe; a write (append,
// complete, set_validity_end_true) needs exclusive access.
//
//   history::History h;
//   const std::uint64_t id = h.append({.client = p, .key = "k", .invoked_true = t0});
//   h.complete(id, {.status = history::OpStatus::ok, .completed_true = t1,
//                   .outcome = "acquired"});
//   std::string text = h.to_jsonl();
//   assert(history::History::from_jsonl(text) == h);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/history/operation.hpp"
#include "locklab/history/time.hpp"

namespace locklab::history {

// How a pending operation completed. An acquire completed ok becomes grant
// `id`; lock_token is its lease's token; validity ends as in Operation.
struct Completion {
  OpStatus status = OpStatus::ok;
  TrueTime completed_true{};
  LocalTime completed_local{};
  std::string outcome;
  std::optional<std::uint64_t> fencing_token;
  std::optional<std::string> lock_token;
  std::optional<LocalTime> validity_end_local;
  std::optional<TrueTime> validity_end_true;
};

class History {
 public:
  // Adds an operation and returns its id. An op with id 0 gets the next free
  // id; an id already present is a programming error (asserted).
  std::uint64_t append(Operation op);

  // Completes pending operation `id` (asserted: it exists, is pending, and
  // `done` is not pending).
  void complete(std::uint64_t id, Completion done);

  // Moves operation `id`'s validity end in true time: a drift change or a
  // clock jump after completion moves the true time at which the holder's
  // clock reaches its validity end. Asserted: `id` has a local validity end.
  void set_validity_end_true(std::uint64_t id, TrueTime end);

  const std::vector<Operation>& operations() const { return ops_; }
  bool contains(std::uint64_t id) const { return index_.contains(id); }
  const Operation& at(std::uint64_t id) const;  // asserts the id exists

  // One JSON object per line, in operation order. Optional fields
  // (fencing_token, lock_token, validity ends) are written only when present
  // and read as absent when missing, so older files still load.
  std::string to_jsonl() const;
  // Throws std::runtime_error naming the line and the field on bad input.
  static History from_jsonl(std::string_view text);

  bool operator==(const History& other) const { return ops_ == other.ops_; }

 private:
  Operation& at_mutable(std::uint64_t id);

  std::vector<Operation> ops_;
  std::map<std::uint64_t, std::size_t> index_;  // id -> position in ops_
  std::uint64_t next_id_ = 1;
};

}  // namespace locklab::history
