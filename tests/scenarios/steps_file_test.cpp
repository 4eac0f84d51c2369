// Client steps in scenario files: what each step reads as, the shorthand
// workload as steps and back, and the writer choosing the shorter form.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "locklab/scenarios/scenario_file.hpp"
#include "locklab/scenarios/steps.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::filesystem::path kEveryKind =
    std::filesystem::path(LOCKLAB_SOURCE_DIR) / "tests/scenarios/good/steps_every_kind.toml";

TEST(StepsFile, EveryStepKindReadsAsWritten) {
  const Scenario s = parse_scenario(read(kEveryKind), "steps_every_kind.toml");
  ASSERT_EQ(s.clients.size(), 2u);
  ASSERT_TRUE(s.clients[0].steps.has_value());
  const std::vector<Step> expected = {
      SleepStep{.duration = 10ms},
      AcquireStep{.key = "job", .deadline = 1s, .ttl = 800ms, .single_attempt = true},
      HoldStep{.min = 20ms, .max = 20ms},
      HoldStep{.min = 5ms, .max = 15ms},
      WriteStep{.count = 2, .work = 5ms, .timeout = 50ms, .careful = true},
      ExtendStep{.deadline = 500ms},
      ReleaseStep{},
      RepeatStep{.times = 2, .steps = {AcquireStep{.key = "job"}, WriteStep{}, ReleaseStep{}}},
      CommandStep{.node = "redis-a", .argv = {"CLIENT", "KILL", "TYPE", "normal"}, .timeout = 200ms},
      CommandStep{.node = "redis-a-replica-1", .argv = {"DEL", "job"}},
      AcquireStep{.key = "other", .lock = "solo"},
      WatchStep{.renew_before = 100ms, .max_renewals = 2},
      WaitUntilStep{.condition = WaitCondition::lease_lost, .within = 2s},
      WaitUntilStep{.condition = WaitCondition::time, .at = 4s},
      AcquireStep{.key = "other", .lock = "solo"},
      WatchStep{},
      ReleaseStep{},
  };
  ASSERT_EQ(s.locks.size(), 1u);
  EXPECT_EQ(s.locks[0], (LockSpec{.name = "solo",
                                  .algorithm = {.kind = Algorithm::single_node, .ttl = 500ms, .fencing = true},
                                  .masters = {"redis-a"}}));
  EXPECT_EQ(*s.clients[0].steps, expected);
  EXPECT_FALSE(s.clients[1].steps.has_value()) << "the shorthand client";
  EXPECT_EQ(s.clients[1].workload.key, "job");
}

TEST(StepsFile, AFileWithStepsIsWrittenAsFormatTwoAndReadsBackTheSame) {
  const Scenario s = parse_scenario(read(kEveryKind), "steps_every_kind.toml");
  const std::string text = to_toml(s);
  EXPECT_NE(text.find("format = 2\n"), std::string::npos) << text;
  const Scenario back = parse_scenario(text, "written.toml");
  EXPECT_EQ(back, s);
  EXPECT_EQ(to_toml(back), text);
}

TEST(StepsFile, AFileWithoutStepsIsWrittenAsFormatOne) {
  Scenario s;
  s.cluster.masters.push_back({.name = "m"});
  s.clients.push_back({.name = "c"});
  EXPECT_NE(to_toml(s).find("format = 1\n"), std::string::npos);
}

// Steps that say what the shorthand says load as the shorthand and are
// written with its keys: one workload, one value, the shorter text.
TEST(StepsFile, StepsThatFitTheShorthandAreReadAndWrittenAsTheShorthand) {
  const std::string text = R"(format = 2
[[cluster.master]]
name = "m"
[[client]]
name = "c"
steps = [
  { sleep = "0s" },
  { repeat = 3, steps = [
    { acquire = "job", deadline = "1s" },
    { write = 2, work = "5ms", timeout = "80ms", careful = true },
    { sleep = "7ms" },
  ] },
]
)";
  const Scenario s = parse_scenario(text, "fits.toml");
  ASSERT_FALSE(s.clients[0].steps.has_value());
  const sim::ClientWorkload& w = s.clients[0].workload;
  EXPECT_EQ(w.key, "job");
  EXPECT_EQ(w.iterations, 3);
  EXPECT_EQ(w.acquire_timeout, 1s);
  EXPECT_EQ(w.writes, 2);
  EXPECT_EQ(w.hold, 5ms);
  EXPECT_EQ(w.write_timeout, 80ms);
  EXPECT_EQ(w.think, 7ms);
  EXPECT_FALSE(w.release);
  EXPECT_TRUE(w.careful);
  const std::string written = to_toml(s);
  EXPECT_NE(written.find("format = 1\n"), std::string::npos) << written;
  EXPECT_EQ(written.find("steps"), std::string::npos) << written;
}

TEST(Steps, ExecutedStepsCountsRepeatsAndSaturates) {
  const std::vector<Step> steps = {SleepStep{}, RepeatStep{.times = 3, .steps = {AcquireStep{}, ReleaseStep{}}}};
  EXPECT_EQ(executed_steps(steps), 1u + 1u + 3u * 2u);
  std::vector<Step> huge = {RepeatStep{.times = 2'000'000'000, .steps = {SleepStep{}}}};
  for (int i = 0; i < 3; ++i) huge = {RepeatStep{.times = 2'000'000'000, .steps = huge}};
  EXPECT_EQ(executed_steps(huge), std::numeric_limits<std::uint64_t>::max());
}

RC_GTEST_PROP(Steps, TheShorthandAndItsStepsAreOneWorkload, ()) {
  const auto duration = [] { return sim::Duration(*rc::gen::inRange<std::int64_t>(0, 10'000'000'000)); };
  const sim::ClientWorkload w{.key = *rc::gen::element<std::string>("lock", "job", "k"),
                              .iterations = *rc::gen::inRange(0, 100),
                              .start_after = duration(),
                              .acquire_timeout = duration() + sim::Duration(1),
                              .writes = *rc::gen::inRange(0, 5),
                              .hold = duration(),
                              .write_timeout = duration() + sim::Duration(1),
                              .think = duration(),
                              .release = *rc::gen::arbitrary<bool>(),
                              .careful = *rc::gen::arbitrary<bool>()};
  const std::optional<sim::ClientWorkload> back = shorthand_of(steps_of(w));
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == w);
}

TEST(Steps, StepsThatDoMoreThanTheShorthandHaveNoShorthand) {
  std::vector<Step> steps = steps_of({});
  std::get<RepeatStep>(steps[1].kind).steps.emplace_back(HoldStep{.min = 1ms, .max = 1ms});
  EXPECT_FALSE(shorthand_of(steps).has_value());
  steps = steps_of({});
  std::get<AcquireStep>(std::get<RepeatStep>(steps[1].kind).steps[0].kind).single_attempt = true;
  EXPECT_FALSE(shorthand_of(steps).has_value());
  EXPECT_FALSE(shorthand_of({}).has_value());
}

}  // namespace
}  // namespace locklab::scenarios
