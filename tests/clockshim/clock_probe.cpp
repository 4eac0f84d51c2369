// clock_probe: the program the clock shim tests run under the shim. Prints
// one line per reading, "<realtime_ns> <gettimeofday_us> <time_s>
// <realtime_coarse_ns> <monotonic_ns>", then sleeps argv[1] ms (0 when
// absent) and prints a second line: two readings a known real time apart.
// Each clock is read through libc's own symbol, as a real program would.
#include <sys/time.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

std::int64_t ns_of(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void print_readings() {
  const std::int64_t realtime = ns_of(CLOCK_REALTIME);
  timeval tv{};
  gettimeofday(&tv, nullptr);
  const std::int64_t tod_us = static_cast<std::int64_t>(tv.tv_sec) * 1'000'000 + tv.tv_usec;
  const std::int64_t seconds = time(nullptr);
  const std::int64_t coarse = ns_of(CLOCK_REALTIME_COARSE);
  const std::int64_t monotonic = ns_of(CLOCK_MONOTONIC);
  std::printf("%lld %lld %lld %lld %lld\n", static_cast<long long>(realtime),
              static_cast<long long>(tod_us), static_cast<long long>(seconds),
              static_cast<long long>(coarse), static_cast<long long>(monotonic));
}

}  // namespace

int main(int argc, char** argv) {
  const long sleep_ms = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 0;
  print_readings();
  const timespec pause{.tv_sec = sleep_ms / 1000, .tv_nsec = (sleep_ms % 1000) * 1'000'000};
  nanosleep(&pause, nullptr);  // on the monotonic clock: real time passes
  print_readings();
  return 0;
}
