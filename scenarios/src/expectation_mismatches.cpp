// A run compared with what its scenario expects: the checkers' verdicts, the
// outcome of single operations and what single clients achieved. One line
// per expectation that does not hold, naming it and what happened instead.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <span>

#include "locklab/scenarios/runner.hpp"

namespace locklab::scenarios {

namespace {

std::string at(sim::TrueTime t) { return sim::format_duration(t.time_since_epoch()); }

// Every client's operations of each kind in invocation order (the history's
// order), so the n-th acquire of c2 is ops[{"c2", acquire}][n - 1].
using OpsByClient = std::map<std::pair<std::string_view, history::OpKind>, std::vector<const history::Operation*>>;

OpsByClient ops_by_client(const history::History& h) {
  OpsByClient ops;
  for (const history::Operation& op : h.operations()) ops[{op.client_name, op.kind}].push_back(&op);
  return ops;
}

std::span<const history::Operation* const> ops_of(const OpsByClient& ops, std::string_view client,
                                                  history::OpKind kind) {
  const auto it = ops.find({client, kind});
  if (it == ops.end()) return {};
  return it->second;
}

// What the operation came to, as an expectation names it, and when.
std::string word_of(const history::Operation& op) {
  return op.status == history::OpStatus::pending ? std::string(kPendingWord) : op.outcome;
}
std::string when_of(const history::Operation& op) {
  return op.status == history::OpStatus::pending ? fmt::format("invoked at {}, never completed", at(op.invoked_true))
                                                 : fmt::format("completed at {}", at(op.completed_true));
}

void step_mismatches(const Scenario& s, const OpsByClient& ops, std::vector<std::string>& lines) {
  for (const auto& [ref, expected] : s.expect_steps) {
    const std::string name = "steps." + toml_key(text_of(ref));
    const std::span<const history::Operation* const> all = ops_of(ops, ref.client, ref.kind);
    const auto index = static_cast<std::size_t>(ref.n - 1);
    if (index >= all.size()) {
      if (expected != kAbsentWord) {
        lines.push_back(fmt::format("{}: expected {}, got {} ({} invoked {} {} operation{})", name, expected,
                                    kAbsentWord, ref.client, all.size(), history::name_of(ref.kind),
                                    all.size() == 1 ? "" : "s"));
      }
      continue;
    }
    const history::Operation& op = *all[index];
    const std::string got = word_of(op);
    if (got != expected) lines.push_back(fmt::format("{}: expected {}, got {} ({})", name, expected, got, when_of(op)));
  }
}

void client_mismatches(const Scenario& s, const OpsByClient& ops, std::vector<std::string>& lines) {
  for (const auto& [client, e] : s.expect_clients) {
    const std::string name = toml_key(client);
    const std::span<const history::Operation* const> acquires = ops_of(ops, client, history::OpKind::acquire);
    const history::Operation* first = nullptr;
    const history::Operation* longest = nullptr;
    std::size_t longest_n = 0;
    int grants = 0;
    for (std::size_t i = 0; i < acquires.size(); ++i) {
      const history::Operation& op = *acquires[i];
      if (op.status != history::OpStatus::ok) continue;
      ++grants;
      if (first == nullptr) first = &op;
      const sim::Duration wait = op.completed_true - op.invoked_true;
      if (longest == nullptr || wait > longest->completed_true - longest->invoked_true) {
        longest = &op;
        longest_n = i + 1;
      }
    }
    if (e.acquired_by && (first == nullptr || first->completed_true > *e.acquired_by)) {
      lines.push_back(fmt::format("{}.acquired_by: expected by {}, {}", name, at(*e.acquired_by),
                                  first == nullptr ? std::string("never acquired")
                                                   : "first acquired at " + at(first->completed_true)));
    }
    if (e.min_grants && grants < *e.min_grants) {
      lines.push_back(fmt::format("{}.min_grants: expected at least {}, got {}", name, *e.min_grants, grants));
    }
    if (e.max_wait && longest != nullptr && longest->completed_true - longest->invoked_true > *e.max_wait) {
      lines.push_back(fmt::format("{}.max_wait: expected at most {}, acquire#{} waited {} (invoked at {})", name,
                                  sim::format_duration(*e.max_wait), longest_n,
                                  sim::format_duration(longest->completed_true - longest->invoked_true),
                                  at(longest->invoked_true)));
    }
  }
}

}  // namespace

std::vector<std::string> expectation_mismatches(const Scenario& s, const RunReport& report) {
  std::vector<std::string> lines;
  for (const auto& [checker, expected] : s.expect) {
    const properties::Verdict* got = report.verdict(checker);
    if (got == nullptr) {
      lines.push_back(fmt::format("{}: expected {}, but this checker did not run", checker,
                                  properties::name_of(expected)));
    } else if (got->kind != expected) {
      lines.push_back(fmt::format("{}: expected {}, got {} ({})", checker, properties::name_of(expected),
                                  properties::name_of(got->kind), got->summary));
    }
  }
  if (s.expect_steps.empty() && s.expect_clients.empty()) return lines;
  const OpsByClient ops = ops_by_client(report.history);
  step_mismatches(s, ops, lines);
  client_mismatches(s, ops, lines);
  return lines;
}

}  // namespace locklab::scenarios
