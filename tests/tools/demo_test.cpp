// The simulation core's demo world (`locklab core-demo`): it runs every fault kind of
// the core, reproduces itself from its seed, and its clients see the faults.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "demo.hpp"

namespace locklab::tools {
namespace {

TEST(Demo, RunsToItsEndWithEveryClientServed) {
  const DemoResult r = run_demo({.seed = 42});
  EXPECT_EQ(r.run.status, sim::RunStatus::reached_time) << r.run.detail;
  ASSERT_EQ(r.clients.size(), 5u);
  std::uint64_t answered = 0;
  for (const ClientStats& c : r.clients) {
    EXPECT_GT(c.answered, 100u) << c.name;
    EXPECT_LE(c.answered + c.timeouts + c.errors, c.sent + c.connects) << c.name;
    answered += c.answered;
  }
  EXPECT_GE(r.server_requests, answered);
}

// Each fault leaves its mark on the client it targets.
TEST(Demo, FaultsAreVisibleToTheirTargets) {
  const DemoResult r = run_demo({.seed = 42});
  EXPECT_GT(r.clients[1].timeouts, 0u);        // partitioned (hold) for 500ms
  EXPECT_EQ(r.clients[3].incarnations, 2u);    // killed and restarted
  EXPECT_GT(r.clients[4].errors, 0u);          // reset-mode partition
  for (const ClientStats& c : r.clients) EXPECT_GT(c.timeouts, 0u) << c.name;  // server pause
}

TEST(Demo, SameSeedSameTraceDifferentSeedDifferentTrace) {
  const DemoResult a = run_demo({.seed = 42});
  const DemoResult b = run_demo({.seed = 42});
  const DemoResult c = run_demo({.seed = 43});
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_NE(a.trace_hash, c.trace_hash);
  const DemoResult ra = run_demo({.seed = 42, .order = sim::ReadyOrder::random});
  const DemoResult rb = run_demo({.seed = 42, .order = sim::ReadyOrder::random});
  EXPECT_EQ(ra.trace_hash, rb.trace_hash);
}

TEST(Demo, ReportNamesTheSeedTheHashAndHowToReplay) {
  const DemoResult r = run_demo({.seed = 7});
  const std::string text = format_demo(r);
  EXPECT_NE(text.find("seed 7"), std::string::npos);
  EXPECT_NE(text.find(fmt::format("{:016x}", r.trace_hash)), std::string::npos);
  EXPECT_NE(text.find("replay: locklab core-demo --seed 7\n"), std::string::npos) << text;
  const std::string random = format_demo(run_demo({.seed = 7, .order = sim::ReadyOrder::random}));
  EXPECT_NE(random.find("replay: locklab core-demo --seed 7 --order random\n"), std::string::npos)
      << random;
}

}  // namespace
}  // namespace locklab::tools
