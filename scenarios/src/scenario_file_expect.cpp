// Reading [expect]: a verdict per checker, [expect.steps] (the outcome of
// single operations) and [expect.<client>] (what single clients achieve).
//
// A key of [expect] is read by what it names: a checker's key holds a verdict
// string, "steps" the table of step expectations, and any other key must be a
// client's name with a table. So a client named like a checker, or "steps",
// may be named in [expect.steps] but cannot have a table of its own.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "file_names.hpp"
#include "file_parts.hpp"

namespace locklab::scenarios::detail {

namespace {

bool is_checker(std::string_view key) {
  return std::find(std::begin(kCheckers), std::end(kCheckers), key) != std::end(kCheckers);
}

// A few names for a message; a file may have thousands of clients.
std::string listing(const Scenario& s) {
  std::string text;
  for (std::size_t i = 0; i < s.clients.size() && i < 8; ++i) text += (i == 0 ? "" : ", ") + s.clients[i].name;
  if (s.clients.size() > 8) text += fmt::format(", ... ({} in all)", s.clients.size());
  return text;
}

void need_format_2(const TableReader& expect, std::string_view key, int format) {
  if (format < 2) expect.fail(key, "step and client expectations need format = 2 at the top of the file");
}

void read_verdict(const TableReader& expect, std::string_view checker, Scenario& s) {
  if (expect.find(checker)->as_table() != nullptr) {
    expect.fail(checker, "must be a verdict, one of \"ok\", \"violation\", \"unknown\" (got a table; a client "
                         "named like a checker cannot have [expect.<client>] expectations)");
  }
  s.expect[std::string(checker)] = *expect.one_of<properties::Verdict::Kind>(checker, kVerdictNames);
}

void read_steps(const TableReader& expect, const std::set<std::string, std::less<>>& clients, Scenario& s) {
  const TableReader t(expect.file(), *expect.subtable("steps"), expect.field("steps"));
  for (auto&& [key, value] : t.table()) {
    const std::string_view text = key.str();
    const std::expected<StepRef, std::string> ref = step_ref_of(text);
    if (!ref) fail_at(t.file(), key.source(), t.field(text), ref.error());
    if (!clients.contains(ref->client)) {
      fail_at(t.file(), key.source(), t.field(text),
              fmt::format("no client named '{}' (the clients are {})", ref->client, listing(s)));
    }
    const auto* word = value.as_string();
    if (word == nullptr) {
      t.fail(text, "must be the expected outcome as a string, like \"busy\" (got " + value_text(value) + ")");
    }
    if (std::string why = step_expectation_problem(*ref, word->get()); !why.empty()) t.fail(text, std::move(why));
    s.expect_steps[*ref] = word->get();
  }
}

void read_client(const TableReader& expect, const std::string& client, Scenario& s) {
  const toml::node& node = *expect.find(client);
  if (node.as_table() == nullptr) {
    expect.fail(client, fmt::format("a client's expectations are a table: [expect.{}] with acquired_by, "
                                    "min_grants or max_wait (got {})",
                                    toml_key(client), value_text(node)));
  }
  const TableReader t(expect.file(), *node.as_table(), expect.field(client));
  t.allow_only({"acquired_by", "min_grants", "max_wait"}, "a client's expectations");
  ClientExpectation e;
  if (auto d = t.duration("acquired_by", Sign::non_negative)) e.acquired_by = sim::true_time(*d);
  if (auto n = t.small_int("min_grants", 1, std::numeric_limits<int>::max())) e.min_grants = *n;
  if (auto d = t.duration("max_wait", Sign::non_negative)) e.max_wait = *d;
  s.expect_clients[client] = e;
}

}  // namespace

void read_expect(const TableReader& top, int format, Scenario& s) {
  const toml::table* table = top.subtable("expect");
  if (table == nullptr) return;
  const TableReader t(top.file(), *table, "expect");
  std::set<std::string, std::less<>> clients;
  for (const ClientSpec& c : s.clients) clients.insert(c.name);
  for (auto&& [key, value] : *table) {
    const std::string name(key.str());
    if (is_checker(name)) {
      read_verdict(t, name, s);
    } else if (name == "steps") {
      need_format_2(t, name, format);
      read_steps(t, clients, s);
    } else if (clients.contains(name)) {
      need_format_2(t, name, format);
      read_client(t, name, s);
    } else {
      std::string checkers;
      for (const std::string_view c : kCheckers) checkers += (checkers.empty() ? "" : ", ") + std::string(c);
      fail_at(t.file(), key.source(), t.field(name),
              fmt::format("unknown key in [expect]: not a checker ({}), \"steps\", or a client ({})", checkers,
                          listing(s)));
    }
  }
}

}  // namespace locklab::scenarios::detail
