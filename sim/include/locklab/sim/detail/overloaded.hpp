// locklab/sim/detail/overloaded.hpp — a visitor from lambdas, for std::visit
// over fault and latency variants.
#pragma once

namespace locklab::sim::detail {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

}  // namespace locklab::sim::detail
