// check_liveness: runs each rule, reports the violation that became certain
// first, and lists what every live client is still blocked on at the end.
#include "locklab/properties/liveness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "liveness_parts.hpp"

namespace locklab::properties {

namespace {

using liveness::at;

std::vector<BlockedOp> blocked_ops(const liveness::LivenessIndex& index) {
  std::vector<BlockedOp> out;
  for (const history::Operation& op : index.history().operations()) {
    if (op.status != history::OpStatus::pending) continue;
    if (index.crash_after(op.client, op.invoked_true)) continue;  // died with its process
    out.push_back({.client = op.client,
                   .client_name = op.client_name,
                   .op = op.id,
                   .kind = op.kind,
                   .key = op.key,
                   .since = op.invoked_true});
  }
  std::sort(out.begin(), out.end(), [](const BlockedOp& a, const BlockedOp& b) {
    return std::tie(a.client, a.op) < std::tie(b.client, b.op);
  });
  return out;
}

std::string blocked_text(const std::vector<BlockedOp>& blocked, history::TrueTime end) {
  if (blocked.empty()) return fmt::format("nothing blocked at the end ({})", at(end));
  std::string out = fmt::format("blocked at the end ({}):", at(end));
  for (std::size_t i = 0; i < blocked.size(); ++i) {
    const BlockedOp& b = blocked[i];
    out += fmt::format("{} {} on {} {} of \"{}\" since {}", i == 0 ? "" : ";", b.client_name,
                       history::name_of(b.kind), b.op, b.key, at(b.since));
  }
  return out;
}

// The world went idle with ops pending: none of them can ever complete.
liveness::Finding stuck(const liveness::LivenessIndex& index, const std::vector<BlockedOp>& blocked) {
  const BlockedOp& earliest = *std::min_element(
      blocked.begin(), blocked.end(), [](const BlockedOp& a, const BlockedOp& b) {
        return std::tie(a.since, a.op) < std::tie(b.since, b.op);
      });
  const history::Operation& op = index.op(earliest.op);
  liveness::Finding f;
  f.violation.rule = "stuck";
  const std::uint64_t grant = op.kind == history::OpKind::acquire ? op.id : op.grant;
  if (const auto it = index.grants().find(grant); it != index.grants().end()) {
    f.violation.first = it->second;
  }
  f.violation.at = earliest.since;
  f.violation.until = index.input().run_end;
  f.window_from = earliest.since;
  f.summary = fmt::format(
      "liveness violated (stuck): the world went idle at {} with {} operations pending that can "
      "never complete, the earliest {}",
      at(index.input().run_end), blocked.size(), liveness::describe_op(index, op));
  return f;
}

}  // namespace

Verdict check_liveness(const history::History& history, const LivenessInput& input,
                       std::span<const FaultNote> faults) {
  const liveness::LivenessIndex index(history, input);
  Verdict verdict;
  verdict.checker = "liveness";
  verdict.blocked = blocked_ops(index);
  const std::string blocked = blocked_text(verdict.blocked, input.run_end);

  // In rule order, so that of two violations certain at the same moment the
  // earlier rule's is reported.
  std::vector<liveness::Finding> found;
  if (auto f = liveness::first_progress_violation(index)) found.push_back(std::move(*f));
  if (auto f = liveness::first_fifo_violation(index)) found.push_back(std::move(*f));
  if (auto f = liveness::first_crashed_holder_violation(index)) found.push_back(std::move(*f));
  if (auto f = liveness::first_deadline_violation(index)) found.push_back(std::move(*f));
  if (input.ended == RunEnd::idle && !verdict.blocked.empty()) {
    found.push_back(stuck(index, verdict.blocked));
  }
  if (!found.empty()) {
    liveness::Finding& first = *std::min_element(
        found.begin(), found.end(), [](const liveness::Finding& a, const liveness::Finding& b) {
          return a.violation.until < b.violation.until;
        });
    Violation& v = first.violation;
    attach_faults(v, first.window_from - kFaultMargin, v.until + kFaultMargin, faults);
    verdict.kind = Verdict::Kind::violation;
    verdict.summary = fmt::format("{}; {}; {}", first.summary, describe_faults(v), blocked);
    verdict.first = std::move(v);
    return verdict;
  }

  if (input.ended == RunEnd::budget) {
    verdict.kind = Verdict::Kind::unknown;
    verdict.summary = fmt::format(
        "liveness unknown: the run stopped on its budget at {} before every operation was "
        "decided; {}",
        at(input.run_end), blocked);
    return verdict;
  }
  for (const auto& [id, g] : index.grants()) {
    if (g.unknown_why.empty()) continue;
    verdict.kind = Verdict::Kind::unknown;
    verdict.summary = fmt::format("liveness unknown: grant {} ({}, key \"{}\"): {}; {}", g.grant,
                                  g.client_name, g.key, g.unknown_why, blocked);
    return verdict;
  }
  std::size_t acquires = 0;
  for (const auto& [key, list] : index.acquires()) acquires += list.size();
  verdict.kind = Verdict::Kind::ok;
  verdict.summary = fmt::format(
      "liveness holds: {} acquires on {} keys; no wait after the last heal ({}) longer than {}; {}",
      acquires, index.acquires().size(), at(input.last_heal),
      liveness::span_text(input.bounds.bound()), blocked);
  return verdict;
}

}  // namespace locklab::properties
