// redis-server 7.0 under the clock shim: its key expiry and TIME follow the
// shimmed wall clock (it reads it through gettimeofday), while its event
// loop and cron keep real (monotonic) time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "locklab/clockshim/control.hpp"
#include "locklab/realserver/server.hpp"
#include "temp_dir.hpp"

namespace locklab::clockshim {
namespace {

using namespace std::chrono_literals;
using realserver::AdminReply;
using realserver::Server;
using testing::TempDir;

std::int64_t integer_reply(const Server& server, const std::vector<std::string>& argv) {
  const AdminReply r = server.admin_ok(argv);
  EXPECT_EQ(r.type, AdminReply::Type::integer) << argv[0] << ": " << r.text;
  return r.integer;
}

// A frozen clock stops expiry: PTTL of a 1000 ms key stays exactly 1000
// over 1.5 real seconds (15 cron ticks at hz 10).
TEST(ClockShimRedis, FrozenClockKeepsPttlExact) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.freeze();
  Server server({.environment = clock.environment()});
  ASSERT_TRUE(server.admin_ok({"SET", "k", "v", "PX", "1000"}).is_ok());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(integer_reply(server, {"PTTL", "k"}), 1000) << "after " << i * 250 << " ms";
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(integer_reply(server, {"EXISTS", "k"}), 1);
}

// A forward step of 2 s, the clock still frozen: the key is gone, also to
// a command that does not touch it (the active cycle deleted it).
TEST(ClockShimRedis, ForwardStepExpiresTheKey) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.freeze();
  Server server({.environment = clock.environment()});
  ASSERT_TRUE(server.admin_ok({"SET", "k", "v", "PX", "1000"}).is_ok());
  ASSERT_TRUE(server.admin_ok({"SET", "untouched", "v", "PX", "1000"}).is_ok());
  clock.step_forward(2s);
  std::this_thread::sleep_for(100ms + 20ms);  // one cron tick and a margin
  EXPECT_EQ(integer_reply(server, {"DBSIZE"}), 0);  // DBSIZE counts without expiring
  EXPECT_EQ(integer_reply(server, {"PTTL", "k"}), -2);
  EXPECT_EQ(server.admin_ok({"GET", "untouched"}).type, AdminReply::Type::nil);
}

// TIME is the shimmed clock: frozen at a known instant, exactly that
// instant (seconds and microseconds), and a step moves it exactly.
TEST(ClockShimRedis, TimeCommandReflectsTheShim) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.freeze_at(WallTime{1'600'000'000s + 654'321us});
  Server server({.environment = clock.environment()});
  AdminReply t = server.admin_ok({"TIME"});
  ASSERT_EQ(t.elements.size(), 2U);
  EXPECT_EQ(t.elements[0].text, "1600000000");
  EXPECT_EQ(t.elements[1].text, "654321");
  clock.step_backward(3600s);
  t = server.admin_ok({"TIME"});
  ASSERT_EQ(t.elements.size(), 2U);
  EXPECT_EQ(t.elements[0].text, "1599996400");
  EXPECT_EQ(t.elements[1].text, "654321");
}

// An offset: TIME reads real time plus the offset (a day ahead).
TEST(ClockShimRedis, OffsetMovesTime) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.set_offset(24h);
  Server server({.environment = clock.environment()});
  const auto before = std::chrono::duration_cast<std::chrono::seconds>(
      (ClockControl::real_now() + 24h).time_since_epoch());
  const AdminReply t = server.admin_ok({"TIME"});
  const auto after = std::chrono::duration_cast<std::chrono::seconds>(
      (ClockControl::real_now() + 24h).time_since_epoch());
  ASSERT_EQ(t.elements.size(), 2U);
  const std::int64_t seconds = std::stoll(t.elements[0].text);
  EXPECT_GE(seconds, before.count());
  EXPECT_LE(seconds, after.count());
}

}  // namespace
}  // namespace locklab::clockshim
