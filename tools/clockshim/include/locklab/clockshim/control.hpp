// locklab/clockshim/control.hpp — the controller of the clock shim.
//
// Provides ClockControl: it creates a control file (layout.h) and sets the
// wall clock that every program started with environment() sees: an
// offset from real time, a rate in ppm (anchored at the current reading, so
// a rate change never jumps the time), a frozen value, and steps forward or
// backward. now() reads the shimmed clock as those programs do.
//
// The shim changes gettimeofday, time and clock_gettime(CLOCK_REALTIME[_COARSE])
// only: monotonic clocks keep real time (redis-server's event loop and cron
// run on them). See docs/clockshim.md.
//
// Not provided: one clock per thread, a clock for statically linked programs
// or for programs that make the system call themselves.
//
// Thread-safety: each setter is one seqlock write, atomic against readers in
// any process; several ClockControl objects (even in several processes) may
// write the same file, each write whole. An object itself is not meant to be
// shared between threads without a lock (its path is not synchronised, but
// it never changes).
//
//   auto clock = ClockControl::create(dir / "clock");
//   realserver::Server server({.environment = clock.environment()});
//   clock.freeze();
//   clock.step(2s);          // keys whose time has passed are now expired
//   clock.set_rate(100);     // from here on 100 us per second fast
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct locklab_clockshim_state;

namespace locklab::clockshim {

// Nanoseconds since the epoch, on the shimmed (or the real) wall clock.
using WallTime = std::chrono::sys_time<std::chrono::nanoseconds>;

class ClockControl {
 public:
  // Creates (or truncates) the control file at `path`; the clock starts as
  // real time (offset 0, rate 0, running). Throws std::system_error.
  static ClockControl create(const std::filesystem::path& path);
  // Maps an existing control file. Throws std::system_error, or
  // std::runtime_error when it is not a control file.
  static ClockControl open(const std::filesystem::path& path);

  ClockControl(ClockControl&& other) noexcept;
  ClockControl& operator=(ClockControl&& other) noexcept;
  ClockControl(const ClockControl&) = delete;
  ClockControl& operator=(const ClockControl&) = delete;
  ~ClockControl();  // unmaps; the file stays (the programs may still run)

  const std::filesystem::path& path() const { return path_; }
  // The shim library this build made (an absolute path).
  static std::filesystem::path library();
  // {"LD_PRELOAD=<library()>", "LOCKLAB_CLOCKSHIM_FILE=<path()>"}: the
  // environment a program needs to run on this clock.
  std::vector<std::string> environment() const;

  // Real time plus `offset`, running at the real rate (rate reset to 0,
  // thawed).
  void set_offset(std::chrono::nanoseconds offset);
  // From the current shimmed reading on, run at (1 + ppm / 1e6) of real
  // time. ppm must be > -1,000,000 (std::invalid_argument). A frozen clock
  // stays frozen; the rate applies once it is thawed.
  void set_rate(std::int64_t ppm);
  // Stops the clock at its current reading, or at `at`.
  void freeze();
  void freeze_at(WallTime at);
  // Lets a frozen clock run again from its frozen reading (no jump), at the
  // rate last set. Does nothing to a running clock.
  void thaw();
  // Steps the reading by `delta` (either sign), frozen or running.
  void step(std::chrono::nanoseconds delta);
  void step_forward(std::chrono::nanoseconds delta) { step(delta); }
  void step_backward(std::chrono::nanoseconds delta) { step(-delta); }

  // The shimmed reading now, as the shimmed programs see it.
  WallTime now() const;
  bool frozen() const;
  std::int64_t rate_ppm() const;
  // Real CLOCK_REALTIME (this process is not shimmed).
  static WallTime real_now();

 private:
  ClockControl(std::filesystem::path path, locklab_clockshim_state* state);
  template <class Change>
  void update(Change change);

  std::filesystem::path path_;
  locklab_clockshim_state* state_ = nullptr;
};

}  // namespace locklab::clockshim
