// Durations as scenario files write them: "150ms", "-2s", "1500us".
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>

#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {

namespace {

struct Unit {
  std::string_view name;
  std::uint64_t nanos;
};

// Largest first: duration_text picks the first that divides exactly.
constexpr std::array<Unit, 6> kUnits{{{"h", 3'600'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"s", 1'000'000'000},
                                      {"ms", 1'000'000},
                                      {"us", 1'000},
                                      {"ns", 1}}};

}  // namespace

std::expected<sim::Duration, std::string> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return std::unexpected(std::string(
        "expected an integer and a unit (ns, us, ms, s, m, h) with nothing between, like \"150ms\""));
  };
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
    negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  // Digits, accumulated in unsigned 64 bits with an overflow check: a
  // duration beyond about 292 years does not fit in int64 nanoseconds.
  std::uint64_t count = 0;
  std::size_t digits = 0;
  bool too_big = false;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
    const auto digit = static_cast<std::uint64_t>(rest[digits] - '0');
    if (count > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) too_big = true;
    if (!too_big) count = count * 10 + digit;
    ++digits;
  }
  if (digits == 0) return bad();
  const std::string_view unit_name = rest.substr(digits);
  const Unit* unit = nullptr;
  for (const Unit& u : kUnits) {
    if (u.name == unit_name) unit = &u;
  }
  if (unit == nullptr) return bad();
  // The magnitude may reach 2^63 when negative (INT64_MIN nanoseconds).
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (too_big || count > limit / unit->nanos) {
    return std::unexpected(std::string("too large: durations are int64 nanoseconds, about 292 years at most"));
  }
  const std::uint64_t magnitude = count * unit->nanos;
  if (!negative) return sim::Duration(static_cast<std::int64_t>(magnitude));
  // Negate in unsigned arithmetic: -(2^63) has no positive int64 counterpart.
  return sim::Duration(static_cast<std::int64_t>(std::uint64_t{0} - magnitude));
}

std::string duration_text(sim::Duration d) {
  const std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  const std::uint64_t magnitude =
      ns < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  for (const Unit& u : kUnits) {
    if (magnitude % u.nanos == 0) {
      return fmt::format("{}{}{}", ns < 0 ? "-" : "", magnitude / u.nanos, u.name);
    }
  }
  return fmt::format("{}ns", ns);  // unreachable: 1 ns divides everything
}

}  // namespace locklab::scenarios
