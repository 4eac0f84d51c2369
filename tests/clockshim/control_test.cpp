// ClockControl on its own (no shimmed program): what it writes is what a
// shimmed program would read, through the same formula (layout.h).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <system_error>
#include <stdexcept>
#include <thread>

#include "locklab/clockshim/control.hpp"
#include "temp_dir.hpp"

namespace locklab::clockshim {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// A fresh control file is real time: the reading lies between two real ones.
TEST(ClockControl, StartsAsRealTime) {
  TempDir dir;
  const ClockControl clock = ClockControl::create(dir / "clock");
  const WallTime before = ClockControl::real_now();
  const WallTime shimmed = clock.now();
  const WallTime after = ClockControl::real_now();
  EXPECT_LE(before, shimmed);
  EXPECT_LE(shimmed, after);
  EXPECT_FALSE(clock.frozen());
}

// Frozen, the reading is exact and does not move; steps move it exactly,
// both ways; a thaw goes on from the frozen reading without a jump.
TEST(ClockControl, FreezeStepAndThawAreExact) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  const WallTime at{std::chrono::milliseconds{1'700'000'000'123}};
  clock.freeze_at(at);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(clock.now(), at);
  clock.step_forward(2s);
  EXPECT_EQ(clock.now(), at + 2s);
  clock.step_backward(5s);
  EXPECT_EQ(clock.now(), at - 3s);
  clock.thaw();
  const WallTime running = clock.now();
  EXPECT_GE(running, at - 3s);
  EXPECT_LT(running, at - 3s + 1s);  // only real time since the thaw, not the epoch's
  EXPECT_FALSE(clock.frozen());
}

// A rate change is anchored at the current reading: no jump, and an offset
// set before it is kept.
TEST(ClockControl, RateChangeDoesNotJump) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.set_offset(-1h);
  const WallTime before = clock.now();
  clock.set_rate(500'000);
  const WallTime after = clock.now();
  EXPECT_GE(after, before);
  EXPECT_LT(after - before, 50ms);
  EXPECT_LT(after, ClockControl::real_now() - 59min);
  EXPECT_EQ(clock.rate_ppm(), 500'000);
}

TEST(ClockControl, RejectsARateThatStopsOrReversesTheClock) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  EXPECT_THROW(clock.set_rate(-1'000'000), std::invalid_argument);
  EXPECT_NO_THROW(clock.set_rate(-999'999));
}

// Another controller (say, in another process) sees the same clock.
TEST(ClockControl, OpenSharesTheClock) {
  TempDir dir;
  ClockControl writer = ClockControl::create(dir / "clock");
  const ClockControl reader = ClockControl::open(dir / "clock");
  writer.freeze_at(WallTime{1'000'000s});
  EXPECT_EQ(reader.now(), WallTime{1'000'000s});
  EXPECT_TRUE(reader.frozen());
}

TEST(ClockControl, OpenRejectsAFileThatIsNotAControlFile) {
  TempDir dir;
  { const ClockControl made = ClockControl::create(dir / "short"); }
  std::filesystem::resize_file(dir / "short", 8);
  EXPECT_THROW(ClockControl::open(dir / "short"), std::runtime_error);
  { std::ofstream(dir / "zeros") << std::string(4096, '\0'); }  // long enough, no magic
  EXPECT_THROW(ClockControl::open(dir / "zeros"), std::runtime_error);
  EXPECT_THROW(ClockControl::open(dir / "missing"), std::system_error);
}

}  // namespace
}  // namespace locklab::clockshim
