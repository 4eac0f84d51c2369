// tests/sim/story.hpp — what happened in a test world, in words.
//
// Process code appends lines such as "3ms server got a" (true time, process,
// what); a test compares the whole story at once, so a failure shows every
// line. Shared by the network and kill tests.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/world.hpp"

namespace locklab::sim::testing {

struct Story {
  std::vector<std::string> lines;
  void operator()(Process& p, std::string_view what) {
    lines.push_back(fmt::format("{} {} {}",
                                format_duration(p.world().true_now().time_since_epoch()),
                                p.name(), what));
  }
};

// "got <message>" or "got <error name>".
inline std::string got(const SimResult<std::string>& r) {
  return "got " + (r ? *r : std::string(name_of(r.error())));
}

}  // namespace locklab::sim::testing
