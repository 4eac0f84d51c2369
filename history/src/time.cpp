// format_duration: exact, integer-only duration text.
#include "locklab/history/time.hpp"

#include <fmt/format.h>

namespace locklab::history {

std::string format_duration(Duration d) {
  std::int64_t ns = d.count();
  const char* sign = ns < 0 ? "-" : "";
  // Work on the magnitude as unsigned so INT64_MIN does not overflow.
  std::uint64_t mag = ns < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(ns)
                             : static_cast<std::uint64_t>(ns);
  struct Unit {
    std::uint64_t scale;
    const char* name;
  };
  static constexpr Unit units[] = {{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}};
  for (const Unit& unit : units) {
    if (mag >= unit.scale) {
      std::uint64_t whole = mag / unit.scale;
      std::uint64_t frac = mag % unit.scale;
      if (frac == 0) return fmt::format("{}{}{}", sign, whole, unit.name);
      // Print the fraction with its full width, then trim trailing zeros.
      int width = unit.scale == 1'000'000'000 ? 9 : unit.scale == 1'000'000 ? 6 : 3;
      std::string digits = fmt::format("{:0{}}", frac, width);
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      return fmt::format("{}{}.{}{}", sign, whole, digits, unit.name);
    }
  }
  return fmt::format("{}{}ns", sign, mag);
}

}  // namespace locklab::history
