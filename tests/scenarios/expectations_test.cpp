// Expectations of single operations ([expect.steps]) and single clients
// ([expect.<client>]): read from a file exactly, written back as format 2,
// refused by validate() when they name no client, and compared with a real
// run one line per expectation that does not hold.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"
#include "locklab/scenarios/shrink.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
using history::OpKind;

const std::filesystem::path kGood = std::filesystem::path(LOCKLAB_SOURCE_DIR) / "tests" / "scenarios" / "good";

StepRef ref(std::string client, OpKind kind, int n) { return {.client = std::move(client), .kind = kind, .n = n}; }

TEST(StepRef, ReadsAndWritesTheFilesKeys) {
  EXPECT_EQ(step_ref_of("c2.acquire#1").value(), ref("c2", OpKind::acquire, 1));
  EXPECT_EQ(step_ref_of("c-1.command#12").value(), ref("c-1", OpKind::command, 12));
  // The kind and number follow the last '.' before the last '#'.
  EXPECT_EQ(step_ref_of("a.b#c.release#3").value(), ref("a.b#c", OpKind::release, 3));
  EXPECT_EQ(text_of(ref("a.b#c", OpKind::extend, 2)), "a.b#c.extend#2");
  for (const char* bad : {"", "c2", "c2.acquire", "c2acquire#1", ".acquire#1", "c2.aquire#1", "c2.acquire#0",
                          "c2.acquire#01", "c2.acquire#", "c2.acquire#-1", "c2.acquire#9999999999"}) {
    EXPECT_FALSE(step_ref_of(bad).has_value()) << bad;
  }
}

TEST(StepRef, LockOperationsExpectTheLocksWords) {
  EXPECT_EQ(step_expectation_problem(ref("c", OpKind::acquire, 1), "busy"), "");
  EXPECT_EQ(step_expectation_problem(ref("c", OpKind::extend, 1), "lost"), "");
  EXPECT_EQ(step_expectation_problem(ref("c", OpKind::release, 1), "pending"), "");
  EXPECT_EQ(step_expectation_problem(ref("c", OpKind::acquire, 2), "absent"), "");
  EXPECT_EQ(step_expectation_problem(ref("c", OpKind::command, 1), "(integer) 1"), "");  // a reply
  EXPECT_EQ(step_expectation_problem(ref("c", OpKind::write, 1), "rejected_stale"), "");
  EXPECT_NE(step_expectation_problem(ref("c", OpKind::acquire, 1), "aquired"), "");
  EXPECT_NE(step_expectation_problem(ref("c", OpKind::command, 1), ""), "");
}

// What tests/scenarios/good/expectations.toml expects, field by field.
TEST(ScenarioFileExpectations, TheGoodFileLoadsToTheExactExpectations) {
  const Scenario s = load_scenario(kGood / "expectations.toml");
  const std::map<StepRef, std::string> steps = {
      {ref("holder", OpKind::acquire, 1), "acquired"}, {ref("holder", OpKind::release, 1), "released"},
      {ref("late", OpKind::acquire, 1), "busy"},       {ref("late", OpKind::acquire, 2), "acquired"},
      {ref("late", OpKind::acquire, 3), "absent"},     {ref("late", OpKind::command, 1), "(nil)"},
      {ref("stuck", OpKind::acquire, 1), "pending"},
  };
  EXPECT_EQ(s.expect_steps, steps);
  const std::map<std::string, ClientExpectation> clients = {
      {"holder", {.acquired_by = sim::true_time(10ms), .min_grants = 1, .max_wait = 10ms}},
      {"late", {.acquired_by = sim::true_time(500ms), .max_wait = 5ms}},
  };
  EXPECT_EQ(s.expect_clients, clients);
  EXPECT_EQ(s.expect.size(), 1u);  // the checkers' verdicts stay as they were
}

TEST(ScenarioFileExpectations, WriteBackAsFormat2AndReadTheSame) {
  Scenario s = load_scenario(kGood / "minimal.toml");
  EXPECT_NE(to_toml(s).find("\nformat = 1\n"), std::string::npos);
  // Names that need quoting as keys, a dot and a '#' among them.
  s.clients = {{.name = "c1"}, {.name = "web \"a\".b#2"}, {.name = "mutual_exclusion"}};
  s.expect_steps[ref("web \"a\".b#2", OpKind::acquire, 2)] = "busy";
  s.expect_steps[ref("mutual_exclusion", OpKind::command, 1)] = "\"x\"\n";
  s.expect_clients["c1"] = {.min_grants = 3};
  s.expect_clients["web \"a\".b#2"] = {.acquired_by = sim::true_time(1052ms), .max_wait = 1500us};
  ASSERT_EQ(validate(s), std::vector<std::string>{});
  const std::string file = to_toml(s);
  EXPECT_NE(file.find("\nformat = 2\n"), std::string::npos) << file;
  EXPECT_NE(file.find("\n[expect.steps]\n\"mutual_exclusion.command#1\" = \"\\\"x\\\"\\n\"\n"), std::string::npos)
      << file;
  EXPECT_NE(file.find("\n[expect.c1]\nmin_grants = 3\n"), std::string::npos) << file;
  EXPECT_NE(file.find("\n[expect.\"web \\\"a\\\".b#2\"]\nacquired_by = \"1052ms\"\nmax_wait = \"1500us\"\n"),
            std::string::npos)
      << file;
  EXPECT_EQ(parse_scenario(file, "again.toml"), s);
}

// Generated and shrunk scenarios are checked by validate(), not the loader.
TEST(ScenarioFileExpectations, ValidateNamesExpectationsOfNoClient) {
  Scenario s = load_scenario(kGood / "expectations.toml");
  s.expect_steps[ref("nobody", OpKind::acquire, 1)] = "busy";
  s.expect_steps[ref("late", OpKind::acquire, 0)] = "busy";
  s.expect_clients["ghost"] = {.min_grants = 1};
  s.expect_clients["late"].min_grants = 0;
  const std::vector<std::string> problems = validate(s);
  const std::vector<std::string> expected = {
      "expect.steps.\"late.acquire#0\": n must be at least 1 (got 0)",
      "expect.steps.\"nobody.acquire#1\": no client named 'nobody'",
      "expect.ghost: no client named 'ghost'",
      "expect.late.min_grants: must be at least 1, got 0",
  };
  EXPECT_EQ(problems, expected);
}

TEST(ScenarioFileExpectations, AClientWithoutItsExpectations) {
  const Scenario s = load_scenario(kGood / "expectations.toml");
  const Scenario without = without_client(s, 1);  // late
  EXPECT_FALSE(without.expect_clients.contains("late"));
  EXPECT_EQ(without.expect_steps.size(), 3u);  // holder's two, stuck's one
  EXPECT_EQ(validate(without), std::vector<std::string>{});
}

// holder takes the lock at once (4 ms, the first connection) and holds it
// 300 ms; late is refused at 108 ms and gets it at 410 ms after 2 ms; stuck's
// acquire, paused on its way, never completes. Every expectation of the file
// holds; each one changed below does not, and says what happened instead.
TEST(ScenarioRunExpectations, EachMismatchNamesTheExpectationAndWhatHappened) {
  Scenario s = load_scenario(kGood / "expectations.toml");
  const RunReport r = run_scenario(s);
  EXPECT_EQ(expectation_mismatches(s, r), std::vector<std::string>{});

  s.expect_steps[ref("late", OpKind::acquire, 1)] = "acquired";
  s.expect_steps[ref("late", OpKind::acquire, 2)] = "absent";
  s.expect_steps[ref("late", OpKind::acquire, 3)] = "busy";
  s.expect_steps[ref("stuck", OpKind::acquire, 1)] = "busy";
  s.expect_steps[ref("late", OpKind::command, 1)] = "\"x\"";
  s.expect_clients["late"] = {.acquired_by = sim::true_time(300ms), .min_grants = 2, .max_wait = 1ms};
  s.expect_clients["stuck"] = {.acquired_by = sim::true_time(1s), .min_grants = 1, .max_wait = 1ms};
  s.expect["liveness"] = properties::Verdict::Kind::violation;
  const std::vector<std::string> lines = expectation_mismatches(s, r);
  ASSERT_GE(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("liveness: expected violation, got ok (", 0), 0u) << lines[0];
  const std::vector<std::string> rest(lines.begin() + 1, lines.end());
  const std::vector<std::string> expected = {
      "steps.\"late.acquire#1\": expected acquired, got busy (completed at 108ms)",
      "steps.\"late.acquire#2\": expected absent, got acquired (completed at 410ms)",
      "steps.\"late.acquire#3\": expected busy, got absent (late invoked 2 acquire operations)",
      "steps.\"late.command#1\": expected \"x\", got (nil) (completed at 416ms)",
      "steps.\"stuck.acquire#1\": expected busy, got pending (invoked at 150ms, never completed)",
      "late.acquired_by: expected by 300ms, first acquired at 410ms",
      "late.min_grants: expected at least 2, got 1",
      "late.max_wait: expected at most 1ms, acquire#2 waited 2ms (invoked at 408ms)",
      "stuck.acquired_by: expected by 1s, never acquired",
      "stuck.min_grants: expected at least 1, got 0",
  };
  EXPECT_EQ(rest, expected);
}

}  // namespace
}  // namespace locklab::scenarios
