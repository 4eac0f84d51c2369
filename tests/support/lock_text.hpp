// tests/support/lock_text.hpp — lock results as one line of text, for test
// failure messages. Header-only, needs lockimpl alone (no sim, no Boost), so
// the real-server and typed tests share it.
//
//   EXPECT_TRUE(r) << show(r);  // "timed_out (maybe applied): ..." or the reply
#pragma once

#include <string>

#include "locklab/lock/outcome.hpp"
#include "locklab/lock/reply.hpp"

namespace locklab::test_support {

inline std::string show(const lock::NodeResult& r) {
  if (r) return lock::to_display(*r);
  return std::string(lock::name_of(r.error().kind)) +
         (r.error().maybe_applied ? " (maybe applied): " : " (not applied): ") + r.error().detail;
}

// "busy (granted by 0 of 5 ...): node 0 (nil); node 1 ..." for an acquire,
// extend or release result.
template <typename Result>
std::string show(const Result& r) {
  std::string s = std::string(lock::name_of(r.outcome)) + " (" + r.detail + "):";
  for (const lock::NodeOutcome& n : r.nodes) {
    s += " node " + std::to_string(n.node) + (n.granted ? " granted " : " ") + show(n.result) + ";";
  }
  return s;
}

}  // namespace locklab::test_support
