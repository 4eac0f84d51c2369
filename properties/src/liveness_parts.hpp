// properties/src/liveness_parts.hpp — the pieces check_liveness is made of:
// the history indexed for it (LivenessIndex), waiting time on the true time
// line (intervals, demand chains, the first overdue wait), and one function
// per rule. Private to properties/src; liveness.hpp has the rules in words.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "locklab/properties/liveness.hpp"

namespace locklab::properties::liveness {

struct Interval {
  history::TrueTime from{};
  history::TrueTime to{};  // half-open
};

// A stretch of time in which a key is continuously wanted: acquires of it in
// flight, gaps between them no longer than think_max. `to` is the end of the
// last one in flight (never stretched by think_max), so demand is real up to
// it. `first`..`last` index the key's acquires (sorted by invocation).
struct Chain {
  history::TrueTime from{};
  history::TrueTime to{};
  std::size_t first = 0;
  std::size_t last = 0;
};

// A wait found overdue: [start, start + bound) within a gap, on one chain.
struct Overdue {
  history::TrueTime start{};
  history::TrueTime due{};
  std::size_t chain = 0;
};

// A candidate first violation, before the faults are attached.
struct Finding {
  Violation violation;  // rule, first, second, at, until
  std::string summary;  // without the faults
  history::TrueTime window_from{};  // faults from kFaultMargin before this
};

// The history as the rules read it, built once.
class LivenessIndex {
 public:
  LivenessIndex(const history::History& history, const LivenessInput& input);

  const LivenessInput& input() const { return input_; }
  const std::map<std::uint64_t, GrantView>& grants() const { return grants_; }
  // Acquires of each key, by (invoked_true, id).
  const std::map<std::string, std::vector<const history::Operation*>>& acquires() const {
    return acquires_;
  }
  // Every grant (acquire) of the key, by id.
  const std::vector<const GrantView*>& grants_of_key(const std::string& key) const;
  // The key's demand chains, in time order.
  const std::vector<Chain>& chains(const std::string& key) const;
  // Intervals that are not waiting time on the key, sorted by start, not
  // merged: possible sets (info and crashed-pending acquires and extends, their
  // last attempt), and, unless `excuses_only`, every belief, and every grant
  // whose belief is unknown from its start to the end of the run.
  std::vector<Interval> served(const std::string& key, bool excuses_only) const;
  // The true time an op stops being in flight: its completion; for a pending
  // op, its process's first crash after its invocation, else the run's end.
  history::TrueTime end_of(const history::Operation& op) const;
  // The first crash of `p` at or after `t`.
  std::optional<history::TrueTime> crash_after(history::ProcessId p, history::TrueTime t) const;
  const history::Operation& op(std::uint64_t id) const { return history_.at(id); }
  const history::History& history() const { return history_; }

 private:
  const history::History& history_;
  const LivenessInput& input_;
  std::map<std::uint64_t, GrantView> grants_;
  std::map<std::string, std::vector<const history::Operation*>> acquires_;
  std::map<std::string, std::vector<Interval>> excuses_;  // possible sets per key
  std::map<std::string, std::vector<Chain>> chains_;
  std::map<std::string, std::vector<const GrantView*>> grants_by_key_;
  std::map<history::ProcessId, std::vector<history::TrueTime>> crashes_;  // sorted
};

// [window) minus `served` (any order, may overlap): the gaps, in order.
std::vector<Interval> gaps(Interval window, std::vector<Interval> served);

// The first part of a chain inside a gap that is longer than `bound`, by
// start. Both lists are in time order.
std::optional<Overdue> first_overdue(std::span<const Chain> chains,
                                     std::span<const Interval> gaps, history::Duration bound);

// The acquire of chain `c` blocked at `due`: the earliest-invoked one still in
// flight after it (one exists: the chain's demand is real up to its end).
const history::Operation& blocked_at(const LivenessIndex& index, const std::string& key,
                                 const Chain& c, history::TrueTime due);

std::optional<Finding> first_progress_violation(const LivenessIndex& index);
std::optional<Finding> first_fifo_violation(const LivenessIndex& index);
std::optional<Finding> first_crashed_holder_violation(const LivenessIndex& index);
std::optional<Finding> first_deadline_violation(const LivenessIndex& index);

// "acquire 9 (c2, invoked 8s, fail (busy) at 10s)".
std::string describe_op(const LivenessIndex& index, const history::Operation& op);
std::string at(history::TrueTime t);
std::string span_text(history::Duration d);

}  // namespace locklab::properties::liveness
