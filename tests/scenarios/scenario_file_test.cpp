// Scenario files read into exactly the Scenario they describe, write back in
// the units a person would use, and refuse what could crash or exhaust the
// loader (oversized or deeply nested input) with an error, not a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <string>

#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const fs::path kGood = fs::path(LOCKLAB_SOURCE_DIR) / "tests" / "scenarios" / "good";

sim::ProcessId id(std::uint32_t i) { return static_cast<sim::ProcessId>(i); }

// What tests/scenarios/good/every_field.toml says, field by field.
Scenario every_field() {
  Scenario s;
  s.name = "every-field";
  s.description =
      "A RedLock client pauses while it holds the lock;\nthe storage is fenced, so its late write is refused.";
  s.seed = 42;
  s.duration = 12s;
  s.order = sim::ReadyOrder::random;
  s.trace_hash = 0xdeadbeef;
  s.cluster.latency = sim::UniformLatency{50us, 2ms};
  s.cluster.discovery_delay = 200ms;
  s.cluster.masters = {
      {.name = "redis-a", .persistence = sim::redis::Persistence::aof_always, .restart_delay = 1s,
       .load_time = 250ms, .clock = {.offset = -5ms, .drift_ppm = 100}, .replicas = 1},
      {.name = "redis-b", .persistence = sim::redis::Persistence::aof_everysec},
      {.name = "redis-c", .persistence = sim::redis::Persistence::rdb},
  };
  s.algorithm = {.kind = Algorithm::redlock, .ttl = 2s, .drift_ppm = 20'000, .quorum = 3,
                 .node_timeout = 15ms, .retry_count = 5, .retry_delay = 150ms, .retry_jitter = 50ms,
                 .fencing = true, .return_early = true};
  s.storage = {.name = "bank", .fenced = true};
  ClientSpec alice{.name = "alice", .clock = {.offset = 3ms, .drift_ppm = -200}};
  alice.workload = {.key = "account", .iterations = 4, .start_after = 100ms, .acquire_timeout = 3s,
                    .writes = 2, .hold = 1500us, .write_timeout = 250ms, .think = 20ms, .release = false};
  s.clients = {alice, {.name = "worker-1"}, {.name = "worker-2"}};
  // Processes: redis-a 0, redis-a-replica-1 1, redis-b 2, redis-c 3, bank 4,
  // alice 5, worker-1 6, worker-2 7.
  s.faults = {
      {sim::true_time(400ms), sim::ProcessPause{id(5)}},
      {sim::true_time(2400ms), sim::ProcessResume{id(5)}},
      {sim::true_time(1s), sim::ProcessKill{id(2)}},
      {sim::true_time(1100ms), sim::ProcessRestart{id(2)}},
      {sim::true_time(1200ms), sim::MachineCrash{id(3)}},
      {sim::true_time(1400ms), sim::LinkPartition{{id(6)}, {id(0), id(1)}, true, sim::PartitionMode::reset}},
      {sim::true_time(1500ms), sim::LinkHeal{{id(6)}, {id(0), id(1)}, true}},
      {sim::true_time(1600ms), sim::MessageDelay{id(7), id(3), 3s, 4}},
      {sim::true_time(1700ms), sim::ClockJump{id(0), -2s}},
      {sim::true_time(1800ms), sim::ClockDriftSet{id(7), 5000}},
      {sim::true_time(1900ms), sim::ConnectionReset{id(4), id(5)}},
  };
  s.failovers = {{sim::true_time(1300ms), "redis-a"}};
  s.expect = {{"mutual_exclusion", properties::Verdict::Kind::violation},
              {"resource_safety", properties::Verdict::Kind::ok},
              {"liveness", properties::Verdict::Kind::unknown},
              {"token_hygiene", properties::Verdict::Kind::ok}};
  return s;
}

TEST(ScenarioFile, EveryFieldLoadsToTheExactScenario) {
  const Scenario loaded = load_scenario(kGood / "every_field.toml");
  const Scenario expected = every_field();
  EXPECT_EQ(to_toml(loaded), to_toml(expected));  // a readable diff first
  EXPECT_TRUE(loaded == expected);
}

TEST(ScenarioFile, AbsentKeysTakeTheScenarioDefaults) {
  const Scenario loaded = load_scenario(kGood / "minimal.toml");
  Scenario expected;
  expected.name = "minimal";
  expected.cluster.masters = {{.name = "redis-0"}};
  expected.clients = {{.name = "c1"}};
  EXPECT_TRUE(loaded == expected) << to_toml(loaded);
}

TEST(ScenarioFile, WritesDurationsInTheLargestExactUnit) {
  const std::string file = to_toml(every_field());
  EXPECT_NE(file.find("hold = \"1500us\"\n"), std::string::npos) << file;
  EXPECT_NE(file.find("ttl = \"2s\"\n"), std::string::npos);
  EXPECT_NE(file.find("at = \"2400ms\"\n"), std::string::npos);
  EXPECT_NE(file.find("delta = \"-2s\"\n"), std::string::npos);
  EXPECT_NE(file.find("drift_factor = 0.02\n"), std::string::npos);
  EXPECT_NE(file.find("process = \"alice\"\n"), std::string::npos);  // by name
  EXPECT_NE(file.find("kind = \"failover\"\nmaster = \"redis-a\"\n"), std::string::npos);
}

TEST(ScenarioFile, DurationText) {
  EXPECT_EQ(duration_text(150ms), "150ms");
  EXPECT_EQ(duration_text(2s), "2s");
  EXPECT_EQ(duration_text(1500us), "1500us");
  EXPECT_EQ(duration_text(90s), "90s");
  EXPECT_EQ(duration_text(120s), "2m");
  EXPECT_EQ(duration_text(7200s), "2h");
  EXPECT_EQ(duration_text(-2s), "-2s");
  EXPECT_EQ(duration_text(0s), "0s");
  EXPECT_EQ(duration_text(sim::Duration::min()), "-9223372036854775808ns");
  EXPECT_EQ(parse_duration("-9223372036854775808ns").value(), sim::Duration::min());
  EXPECT_EQ(parse_duration("9223372036854775807ns").value(), sim::Duration::max());
  EXPECT_EQ(parse_duration("+5m").value(), 5min);
  EXPECT_FALSE(parse_duration("9223372036854775808ns"));
  EXPECT_FALSE(parse_duration("2562048h"));  // just past 292 years
  EXPECT_TRUE(parse_duration("2562047h"));
  EXPECT_FALSE(parse_duration("99999999999999999999999999s"));
  for (const char* bad : {"", "ms", "10", "10 ms", "1.5s", "10parsecs", "-", "1e3ms", "10MS", " 1s", "1s "}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(ScenarioFile, LargeSeedsAreStrings) {
  Scenario s = load_scenario(kGood / "minimal.toml");
  s.seed = std::numeric_limits<std::uint64_t>::max();
  const std::string file = to_toml(s);
  EXPECT_NE(file.find("seed = \"18446744073709551615\"\n"), std::string::npos);
  EXPECT_EQ(parse_scenario(file, "seed.toml").seed, s.seed);
}

TEST(ScenarioFile, AnUnreadableFileIsAScenarioError) {
  try {
    (void)load_scenario("/nonexistent/locklab/scenario.toml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file, "/nonexistent/locklab/scenario.toml");
    EXPECT_EQ(e.line, 0u);
    EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)load_scenario(kGood), ScenarioError);  // a directory
}

TEST(ScenarioFile, OversizedInputIsRefusedUnparsed) {
  const std::string text = "format = 1\n" + std::string(kMaxScenarioBytes, '#');
  try {
    (void)parse_scenario(text, "big.toml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_NE(e.problem.find("limit"), std::string::npos) << e.what();
  }
}

// 400,000 dotted segments overflow the stack inside toml++ (measured: a
// segfault at 8 MiB of stack); the guard refuses them first.
TEST(ScenarioFile, DeepNestingIsAnErrorNotACrash) {
  std::string dotted = "format = 1\na";
  for (int i = 0; i < 400'000; ++i) dotted += ".a";
  EXPECT_THROW((void)parse_scenario(dotted + " = 1\n", "dotted.toml"), ScenarioError);
  std::string header = "format = 1\n[";
  for (int i = 0; i < 400'000; ++i) header += "a.";
  EXPECT_THROW((void)parse_scenario(header + "a]\n", "header.toml"), ScenarioError);
  EXPECT_THROW((void)parse_scenario("format = 1\nx = " + std::string(100'000, '['), "arrays.toml"),
               ScenarioError);
  std::string inline_tables = "format = 1\nx = ";
  for (int i = 0; i < 100'000; ++i) inline_tables += "{a.a.a.a.a.a.a.a=";
  EXPECT_THROW((void)parse_scenario(inline_tables, "inline.toml"), ScenarioError);
}

// The guard skips strings and comments: prose full of dots and brackets,
// and a multi-line string closed by a run of five quotes, load fine.
TEST(ScenarioFile, NestingGuardIgnoresStringsAndComments) {
  Scenario s = load_scenario(kGood / "minimal.toml");
  s.description = std::string(2'000, '.') + std::string(100, '[') + "\n" + std::string(100, '{') + "\"\"";
  s.name = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t";
  EXPECT_TRUE(parse_scenario(to_toml(s), "prose.toml") == s);
  const std::string text = "format = 1 # " + std::string(100, '.') + std::string(100, '[') +
                           "\ndescription = '''x''''' # a.b\nname = '" + std::string(50, '.') + "'\n" +
                           "[cluster]\nmasters = 1\n[[client]]\nname = \"c\"\n";
  const Scenario literal = parse_scenario(text, "literal.toml");
  EXPECT_EQ(literal.description, "x''");
}

TEST(ScenarioFile, ErrorFieldsAndMessageAgree) {
  try {
    (void)parse_scenario("format = 1\n[cluster]\nmasters = 1\n[[client]]\nname = \"c\"\nhold = \"10 parsecs\"\n",
                         "f.toml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file, "f.toml");
    EXPECT_EQ(e.line, 6u);
    EXPECT_EQ(e.column, 8u);
    EXPECT_EQ(e.field, "client[0].hold");
    EXPECT_NE(e.problem.find("(got \"10 parsecs\")"), std::string::npos) << e.problem;
    EXPECT_EQ(std::string(e.what()), "f.toml:6:8: client[0].hold: " + e.problem);
  }
}

// check --update-hashes edits one value in a file a person wrote: the
// comments, the layout, the comment after the value and a trace_hash that
// only appears in prose or a comment must all come out byte for byte.
TEST(ScenarioFile, ReplaceTraceHashKeepsEveryOtherByte) {
  const std::string text = R"(# A story, told in comments.
format = 1
name = "edit"
description = """
trace_hash = "0x1" here is prose, not the key."""
# trace_hash = "0x2" was the old one
trace_hash  =	"0xDEADbeef"   # the run, event for event: locklab check compares it

[cluster]
masters = 1   # one is enough

[[client]]
name = "c1"
)";
  const std::expected<std::string, std::string> edited = replace_trace_hash(text, 0x9e2db772025e6494);
  ASSERT_TRUE(edited) << edited.error();
  std::string want = text;
  want.replace(want.find("\"0xDEADbeef\""), 12, "\"0x9e2db772025e6494\"");
  EXPECT_EQ(*edited, want);
  EXPECT_EQ(parse_scenario(*edited, "edit.toml").trace_hash, 0x9e2db772025e6494u);
  // A small hash is written in 16 digits too, as to_toml() writes it.
  const std::expected<std::string, std::string> small = replace_trace_hash(text, 0xab);
  ASSERT_TRUE(small) << small.error();
  EXPECT_NE(small->find("trace_hash  =\t\"0x00000000000000ab\"   # the run"), std::string::npos) << *small;
}

// Only the one top-level trace_hash the parser sees, in the writer's
// spelling, is edited; anything else (none, two, another spelling, one in a
// table) is refused with the reason, for a person to fix.
TEST(ScenarioFile, ReplaceTraceHashRefusesNoneTwoOrAnotherSpelling) {
  const std::string head = "format = 1\nname = \"x\"\n";
  const auto refused = [](const std::string& text) {
    const std::expected<std::string, std::string> edited = replace_trace_hash(text, 7);
    EXPECT_FALSE(edited) << text;
    return edited ? std::string() : edited.error();
  };
  EXPECT_NE(refused(head + "# trace_hash = \"0x1\"\n").find("no trace_hash"), std::string::npos);
  EXPECT_NE(refused(head + "[cluster]\ntrace_hash = \"0x1\"\n").find("no trace_hash"), std::string::npos);
  EXPECT_NE(refused(head + "trace_hash = \"0x1\"\ntrace_hash = \"0x2\"\n").find("line 4"), std::string::npos);
  for (const char* line : {"trace_hash = '0x1'", "trace_hash = \"1f\"", "\"trace_hash\" = \"0x1\"",
                           "trace_hash = \"0x10000000000000000\"", "trace_hash = \"\"\"0x1\"\"\""}) {
    EXPECT_NE(refused(head + line + "\n").find("line 3 does not read"), std::string::npos) << line;
  }
  EXPECT_FALSE(replace_trace_hash(head + "trace_hash = \"0x1\n", 7));  // not TOML
}

}  // namespace
}  // namespace locklab::scenarios
