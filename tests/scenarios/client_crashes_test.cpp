// client_crashes(): the liveness checker's crashes, read from a fault
// schedule where worlds are built.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "locklab/scenarios/client_crashes.hpp"

namespace locklab::scenarios {
namespace {

sim::TrueTime ms(std::int64_t n) { return sim::true_time(std::chrono::milliseconds(n)); }

// Client crashes come from the schedule's kills and machine crashes of
// clients only, in schedule order.
TEST(ClientCrashes, AreTheSchedulesKillsAndCrashesOfClientsInOrder) {
  const sim::ProcessId c1{1};
  const sim::ProcessId c2{2};
  const sim::ProcessId master{9};
  const sim::FaultSchedule schedule = {
      {ms(100), sim::ProcessKill{c1}},
      {ms(150), sim::ProcessPause{c2}},
      {ms(200), sim::MachineCrash{master}},
      {ms(300), sim::MachineCrash{c2}},
  };
  const std::vector<sim::ProcessId> clients = {c1, c2};
  EXPECT_EQ(client_crashes(schedule, clients),
            (std::vector<properties::ClientCrash>{{c1, ms(100)}, {c2, ms(300)}}));
}

}  // namespace
}  // namespace locklab::scenarios
