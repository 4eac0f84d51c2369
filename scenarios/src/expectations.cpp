// Step references in words, the words an operation may be expected to end
// in, and keys as a scenario file writes them.
#include "locklab/scenarios/expectations.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "locklab/lock/outcome.hpp"
#include "toml_escape.hpp"

namespace locklab::scenarios {

namespace {

constexpr history::OpKind kOpKinds[] = {history::OpKind::acquire, history::OpKind::release,
                                        history::OpKind::extend, history::OpKind::write,
                                        history::OpKind::command, history::OpKind::note};

constexpr lock::Outcome kLockOutcomes[] = {
    lock::Outcome::acquired, lock::Outcome::busy,     lock::Outcome::timed_out, lock::Outcome::indeterminate,
    lock::Outcome::lost,     lock::Outcome::extended, lock::Outcome::released,  lock::Outcome::not_held,
    lock::Outcome::cancelled, lock::Outcome::invalid,
};

std::string kind_list() {
  std::string list;
  for (const history::OpKind k : kOpKinds) list += (list.empty() ? "" : ", ") + std::string(history::name_of(k));
  return list;
}

// The lock's own operations end in one of its outcome words (a watchdog's
// renewals are extends too); writes, commands and notes in words of the
// storage, the node or the harness.
bool lock_operation(history::OpKind kind) {
  return kind == history::OpKind::acquire || kind == history::OpKind::release || kind == history::OpKind::extend;
}

}  // namespace

std::string text_of(const StepRef& ref) {
  return fmt::format("{}.{}#{}", ref.client, history::name_of(ref.kind), ref.n);
}

std::expected<StepRef, std::string> step_ref_of(std::string_view text) {
  const auto wrong = [&](std::string_view why) {
    return std::unexpected(fmt::format("must be \"<client>.<kind>#<n>\", like \"c2.acquire#1\": {}", why));
  };
  const std::size_t hash = text.rfind('#');
  if (hash == std::string_view::npos) return wrong("there is no '#<n>'");
  const std::size_t dot = text.substr(0, hash).rfind('.');
  if (dot == std::string_view::npos) return wrong("there is no '.' between the client and the kind");
  StepRef ref{.client = std::string(text.substr(0, dot))};
  if (ref.client.empty()) return wrong("the client name is empty");
  const std::string_view kind = text.substr(dot + 1, hash - dot - 1);
  const std::optional<history::OpKind> k = history::op_kind_named(kind);
  if (!k) return wrong(fmt::format("there is no operation kind '{}' (the kinds are {})", kind, kind_list()));
  ref.kind = *k;
  const std::string_view digits = text.substr(hash + 1);
  std::int64_t n = 0;
  bool ok = !digits.empty() && digits.size() <= 9 && digits.front() != '0';
  for (const char c : digits) {
    if (c < '0' || c > '9') ok = false;
    if (ok) n = n * 10 + (c - '0');
  }
  if (!ok) return wrong(fmt::format("n must be a whole number from 1, without leading zeros (got '{}')", digits));
  ref.n = static_cast<int>(n);
  return ref;
}

std::string step_expectation_problem(const StepRef& ref, std::string_view expected) {
  if (expected.empty()) return "the expected outcome must not be empty";
  if (ref.n < 1) return fmt::format("n must be at least 1 (got {})", ref.n);
  if (!lock_operation(ref.kind) || expected == kPendingWord || expected == kAbsentWord) return "";
  if (std::any_of(std::begin(kLockOutcomes), std::end(kLockOutcomes),
                  [&](lock::Outcome o) { return lock::name_of(o) == expected; })) {
    return "";
  }
  std::string words;
  for (const lock::Outcome o : kLockOutcomes) {
    words += std::string(words.empty() ? "" : ", ") + std::string(lock::name_of(o));
  }
  return fmt::format("'{}' is not an outcome the lock gives an acquire, extend or release ({}), nor {} or {}",
                     expected, words, kPendingWord, kAbsentWord);
}

std::string toml_key(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (bare) return std::string(key);
  return detail::quoted_basic_string(key);
}

}  // namespace locklab::scenarios
