// The headline demonstration (`locklab demo`): it finds a stale write of the
// unfenced single-node lock, shrinks it, and the file it writes replays the
// same world; the fenced lock is safe on the same schedule.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "headline.hpp"
#include "locklab/scenarios/cause.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::tools {
namespace {

TEST(Headline, FindsShrinksSavesReplaysAndFencesACounterexample) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "locklab-headline";
  std::filesystem::remove_all(dir);
  std::ostringstream narration;
  const HeadlineResult r = run_headline({.out = dir}, narration);
  ASSERT_TRUE(r.finding.has_value()) << narration.str();
  EXPECT_EQ(r.finding->violated, std::vector<std::string>{"resource_safety"});
  ASSERT_TRUE(r.finding->shrunk.has_value());
  EXPECT_TRUE(r.finding->shrunk->minimal);
  // What it blames is read off the shrunk scenario, as explore does.
  EXPECT_EQ(r.finding->causes, scenarios::cause_classes(r.finding->shrunk->scenario));
  EXPECT_LE(r.counterexample.faults.size(), r.finding->original.faults.size());
  EXPECT_TRUE(std::filesystem::exists(r.file));
  EXPECT_TRUE(r.replay_matches) << narration.str();
  EXPECT_TRUE(r.fenced_safe) << narration.str();
  EXPECT_EQ(r.fenced.faults, r.counterexample.faults);  // the same schedule
  // The file is the counterexample, trace hash included.
  const scenarios::Scenario loaded = scenarios::load_scenario(r.file);
  EXPECT_EQ(loaded, r.counterexample);
  EXPECT_TRUE(loaded.trace_hash.has_value());
  EXPECT_NE(narration.str().find("reproduce: locklab replay"), std::string::npos);
}

}  // namespace
}  // namespace locklab::tools
