// The deadline rule: a call that takes a deadline returns by it, plus the
// slack the lock documents, on its own process's clock.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "liveness_parts.hpp"

namespace locklab::properties::liveness {

namespace {

// Whether process `p` was paused or had its clock stepped at some moment of
// [from, to]: a call that lived through that cannot be held to its deadline
// (it was not running when the deadline passed, or its clock jumped past it).
bool interrupted(std::span<const ClientInterruption> interruptions, history::ProcessId p,
                 history::TrueTime from, history::TrueTime to) {
  return std::any_of(interruptions.begin(), interruptions.end(), [&](const ClientInterruption& i) {
    return i.process == p && i.from <= to && from <= i.to;
  });
}

history::LocalTime add_saturating(history::LocalTime t, history::Duration d) {
  return t > history::LocalTime::max() - d ? history::LocalTime::max() : t + d;
}

}  // namespace

std::optional<Finding> first_deadline_violation(const LivenessIndex& index) {
  const LivenessInput& in = index.input();
  const history::Operation* late = nullptr;  // the overrun that completed first
  for (const history::Operation& op : index.history().operations()) {
    if (!op.deadline_local || op.status == history::OpStatus::pending) continue;
    if (op.completed_local <= add_saturating(*op.deadline_local, in.bounds.deadline_slack)) continue;
    if (interrupted(in.interruptions, op.client, op.invoked_true, op.completed_true)) continue;
    if (late == nullptr || std::tie(op.completed_true, op.id) < std::tie(late->completed_true, late->id)) {
      late = &op;
    }
  }
  if (late == nullptr) return std::nullopt;
  Finding f;
  f.violation.rule = "deadline";
  if (const auto it = index.grants().find(late->kind == history::OpKind::acquire ? late->id : late->grant);
      it != index.grants().end()) {
    f.violation.first = it->second;
  }
  f.violation.at = late->invoked_true;
  f.violation.until = late->completed_true;
  f.window_from = late->invoked_true;
  f.summary = fmt::format(
      "liveness violated (deadline): {} returned {} after its deadline by its own clock (deadline {} "
      "from its invocation, slack {})",
      describe_op(index, *late), span_text(late->completed_local - *late->deadline_local),
      span_text(*late->deadline_local - late->invoked_local), span_text(in.bounds.deadline_slack));
  return f;
}

}  // namespace locklab::properties::liveness
