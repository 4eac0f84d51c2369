// The simulated network's half of close_on_death_cases.hpp: a child process
// killed with and without unread input, its peer frozen (paused) or not,
// must leave the peer seeing what Linux shows on real sockets
// (tests/sim/real/close_on_death_real_test.cpp runs the same table).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "close_on_death_cases.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;
using testing::CloseOnDeathCase;

std::string read_outcome(const SimResult<std::string>& r) {
  return "read " + (r ? *r : std::string(name_of(r.error())));
}

std::string write_outcome(const SimResult<void>& r) {
  return "write " + (r ? std::string("ok") : std::string(name_of(r.error())));
}

std::string case_name(const ::testing::TestParamInfo<CloseOnDeathCase>& test) {
  return std::string(test.param.name);
}

class CloseOnDeath : public ::testing::TestWithParam<CloseOnDeathCase> {};

// With every message 1 ms away: the child's SYN reaches the peer at 1 ms
// (the peer accepts and sends "x" then), "hello" arrives at 3 ms; the peer
// is paused from 2 ms to 12 ms if frozen, the child killed at 10 ms, and the
// peer acts at 15 ms, when the FIN or reset has arrived.
TEST_P(CloseOnDeath, PeerSeesWhatLinuxShows) {
  const CloseOnDeathCase& c = GetParam();
  std::vector<std::string> seen;
  TrueTime done_at{};
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId peer = world.add_process({.name = "peer", .main = [&](Process& p) {
    Listener listener = p.listen();
    SimResult<Socket> s = listener.accept();
    ASSERT_TRUE(s);
    if (c.unread_input) {
      ASSERT_TRUE(s->send("x"));
    }
    if (!c.peer_frozen) seen.push_back(read_outcome(s->recv()));
    ASSERT_TRUE(p.sleep_until(local_time(15ms)));
    if (c.peer_writes) seen.push_back(write_outcome(s->send("y")));
    for (int i = 0; i < 3; ++i) seen.push_back(read_outcome(s->recv(p.now() + 100ms)));
    done_at = world.true_now();
  }});
  const ProcessId child = world.add_process({.name = "child", .main = [&](Process& p) {
    SimResult<Socket> s = p.connect(peer, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->send("hello"));
    (void)p.sleep_for(1h);  // never reads: "x", if sent, stays unread
  }});
  if (c.peer_frozen) {
    world.schedule({true_time(2ms), ProcessPause{peer}});
    world.schedule({true_time(12ms), ProcessResume{peer}});
  }
  world.schedule({true_time(10ms), ProcessKill{child}});

  EXPECT_EQ(world.run().status, RunStatus::idle);  // the child is dead, the peer done
  EXPECT_THAT(seen, ::testing::ElementsAreArray(c.seen));
  EXPECT_EQ(done_at, true_time(15ms)) << "a read waited: the close had not arrived";
}

INSTANTIATE_TEST_SUITE_P(Cases, CloseOnDeath,
                         ::testing::ValuesIn(testing::close_on_death_cases()),
                         case_name);

}  // namespace
}  // namespace locklab::sim
