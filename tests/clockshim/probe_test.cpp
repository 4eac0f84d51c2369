// A program under the shim (clock_probe) sees the offset, the rate and the
// frozen value on every realtime interface (clock_gettime REALTIME and
// REALTIME_COARSE, gettimeofday, time), while its CLOCK_MONOTONIC stays the
// real one; with the control file missing it aborts rather than run on the
// real clock.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "locklab/clockshim/control.hpp"
#include "locklab/realserver/child_process.hpp"
#include "temp_dir.hpp"

namespace locklab::clockshim {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

struct Readings {
  std::int64_t realtime_ns = 0;
  std::int64_t gettimeofday_us = 0;
  std::int64_t time_s = 0;
  std::int64_t coarse_ns = 0;
  std::int64_t monotonic_ns = 0;
};

struct ProbeRun {
  int status = 0;
  std::vector<Readings> readings;
  std::string output;
};

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t real_ns() { return ClockControl::real_now().time_since_epoch().count(); }

// Runs the probe with `environment` and waits (at most 10 s) for it to exit.
ProbeRun run_probe(const TempDir& dir, const std::vector<std::string>& environment,
                   std::chrono::milliseconds pause = 0ms) {
  const auto log = dir / "probe.log";
  std::filesystem::remove(log);
  realserver::ChildProcess probe({LOCKLAB_CLOCKSHIM_PROBE, std::to_string(pause.count())}, log,
                                 environment);
  const auto until = std::chrono::steady_clock::now() + 10s;
  std::optional<int> status;
  while (!(status = probe.try_reap()) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);
  }
  if (!status) throw std::runtime_error("clock_probe did not exit within 10 s");
  ProbeRun run{.status = *status, .readings = {}, .output = {}};
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  run.output = text.str();
  std::istringstream lines(run.output);
  Readings r;
  while (lines >> r.realtime_ns >> r.gettimeofday_us >> r.time_s >> r.coarse_ns >> r.monotonic_ns) {
    run.readings.push_back(r);
  }
  return run;
}

void expect_exited_cleanly(const ProbeRun& run) {
  ASSERT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0)
      << realserver::describe_wait_status(run.status) << "\n" << run.output;
  ASSERT_EQ(run.readings.size(), 2U) << run.output;
}

// An offset of an hour: each realtime interface reads an hour ahead, within
// the real interval the probe ran in; the monotonic clock reads real time.
TEST(ClockShimProbe, OffsetMovesEveryRealtimeInterfaceButNotMonotonic) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  constexpr std::int64_t kHour = 3'600'000'000'000;
  clock.set_offset(1h);
  const std::int64_t real_before = real_ns();
  const std::int64_t mono_before = monotonic_ns();
  const ProbeRun run = run_probe(dir, clock.environment());
  const std::int64_t mono_after = monotonic_ns();
  const std::int64_t real_after = real_ns();
  expect_exited_cleanly(run);
  const Readings& r = run.readings[0];
  EXPECT_GE(r.realtime_ns, real_before + kHour);
  EXPECT_LE(r.realtime_ns, real_after + kHour);
  EXPECT_GE(r.gettimeofday_us, (real_before + kHour) / 1000);
  EXPECT_LE(r.gettimeofday_us, (real_after + kHour) / 1000);
  EXPECT_GE(r.time_s, (real_before + kHour) / 1'000'000'000);
  EXPECT_LE(r.time_s, (real_after + kHour) / 1'000'000'000);
  // The coarse clock lags by up to a tick (4 ms at HZ=250).
  EXPECT_GE(r.coarse_ns, real_before + kHour - 20'000'000);
  EXPECT_LE(r.coarse_ns, real_after + kHour);
  EXPECT_GE(r.monotonic_ns, mono_before);
  EXPECT_LE(r.monotonic_ns, mono_after);
}

// Frozen: every reading is the frozen value exactly, and stays it across a
// real pause of 200 ms, while the monotonic clock moves on by that pause.
TEST(ClockShimProbe, FrozenClockGivesTheSameExactReading) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  const WallTime at{std::chrono::nanoseconds{1'700'000'000'123'456'789}};
  clock.freeze_at(at);
  const ProbeRun run = run_probe(dir, clock.environment(), 200ms);
  expect_exited_cleanly(run);
  for (const Readings& r : run.readings) {
    EXPECT_EQ(r.realtime_ns, 1'700'000'000'123'456'789);
    EXPECT_EQ(r.gettimeofday_us, 1'700'000'000'123'456);
    EXPECT_EQ(r.time_s, 1'700'000'000);
    EXPECT_EQ(r.coarse_ns, 1'700'000'000'123'456'789);
  }
  EXPECT_GE(run.readings[1].monotonic_ns - run.readings[0].monotonic_ns, 200'000'000);
}

// At +500,000 ppm the realtime clock runs 1.5 times as fast as the
// monotonic one over a 300 ms pause (a tolerance of 2 % of the pause for
// the readings' own spacing).
TEST(ClockShimProbe, RateScalesElapsedRealtime) {
  TempDir dir;
  ClockControl clock = ClockControl::create(dir / "clock");
  clock.set_rate(500'000);
  const ProbeRun run = run_probe(dir, clock.environment(), 300ms);
  expect_exited_cleanly(run);
  const std::int64_t mono = run.readings[1].monotonic_ns - run.readings[0].monotonic_ns;
  const std::int64_t shimmed = run.readings[1].realtime_ns - run.readings[0].realtime_ns;
  ASSERT_GE(mono, 300'000'000);
  EXPECT_NEAR(static_cast<double>(shimmed), 1.5 * static_cast<double>(mono), 0.02 * 300e6);
}

// Without the variable the shim is a pass-through (real time).
TEST(ClockShimProbe, WithoutTheControlFileVariableRealTimePassesThrough) {
  TempDir dir;
  const std::int64_t before = real_ns();
  const ProbeRun run = run_probe(dir, {"LD_PRELOAD=" + ClockControl::library().string()});
  const std::int64_t after = real_ns();
  expect_exited_cleanly(run);
  EXPECT_GE(run.readings[0].realtime_ns, before);
  EXPECT_LE(run.readings[0].realtime_ns, after);
}

// A control file that is not there: the program is stopped at load, with a
// message, instead of running on the real clock unnoticed.
TEST(ClockShimProbe, MissingControlFileAbortsTheProgram) {
  TempDir dir;
  const ProbeRun run = run_probe(dir, {"LD_PRELOAD=" + ClockControl::library().string(),
                                       "LOCKLAB_CLOCKSHIM_FILE=" + (dir / "missing").string()});
  ASSERT_TRUE(WIFSIGNALED(run.status)) << realserver::describe_wait_status(run.status);
  EXPECT_EQ(WTERMSIG(run.status), SIGABRT);
  EXPECT_NE(run.output.find("cannot open the control file"), std::string::npos) << run.output;
  EXPECT_TRUE(run.readings.empty());
}

}  // namespace
}  // namespace locklab::clockshim
