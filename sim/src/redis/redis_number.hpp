// Redis's strict integer parsing (string2ll): no spaces, no '+', no leading
// zeros, at most 20 characters, within int64. Internal to sim/src/redis.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace locklab::sim::redis {

inline std::optional<std::int64_t> parse_redis_int(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s == "0") return 0;
  std::size_t p = 0;
  const bool negative = s[0] == '-';
  if (negative && ++p == s.size()) return std::nullopt;
  if (s[p] < '1' || s[p] > '9') return std::nullopt;
  std::uint64_t v = 0;
  for (; p < s.size(); ++p) {
    if (s[p] < '0' || s[p] > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(s[p] - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (v > kMax + 1) return std::nullopt;
    return static_cast<std::int64_t>(0 - v);  // two's complement: -v, INT64_MIN included
  }
  if (v > kMax) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

}  // namespace locklab::sim::redis
