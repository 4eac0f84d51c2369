// locklab/lock/detail/saturate.hpp — time arithmetic that cannot overflow.
//
// Provides add_saturating(t, d): t + d, or time_point::max() when the sum
// would pass it. A caller's timeout or retry delay may be any duration
// (hours::max() included); adding it to now() must never wrap into the past.
#pragma once

#include <chrono>

namespace locklab::lock::detail {

template <typename Clock, typename Duration, typename Rep, typename Period>
std::chrono::time_point<Clock, Duration> add_saturating(std::chrono::time_point<Clock, Duration> t,
                                                       std::chrono::duration<Rep, Period> d) {
  using TimePoint = std::chrono::time_point<Clock, Duration>;
  if (d <= std::chrono::duration<Rep, Period>::zero()) {
    return t + std::chrono::duration_cast<Duration>(d);  // now() is far from min()
  }
  // A time before the epoch (a simulated clock stepped back past zero) has
  // more room than Duration::max(): any d that converts fits.
  if (t.time_since_epoch() < Duration::zero()) {
    if (d >= std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(Duration::max())) {
      return t + Duration::max();
    }
    return t + std::chrono::duration_cast<Duration>(d);
  }
  // The room left, in d's own units (a division: it cannot overflow, even
  // when d counts hours); a d within it converts to Duration without
  // overflow.
  const Duration room = TimePoint::max() - t;
  if (d >= std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(room)) {
    return TimePoint::max();
  }
  return t + std::chrono::duration_cast<Duration>(d);
}

}  // namespace locklab::lock::detail
