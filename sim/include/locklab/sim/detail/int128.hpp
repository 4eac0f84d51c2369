// locklab/sim/detail/int128.hpp — 128-bit integers for exact clock and range
// arithmetic. GCC's __int128 is an extension; __extension__ keeps -Wpedantic
// quiet about it in exactly these two names.
#pragma once

namespace locklab::sim::detail {
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;
}  // namespace locklab::sim::detail
