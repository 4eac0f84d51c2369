// tests/sim/close_on_death_cases.hpp — what a peer sees when the process at
// the other end of a TCP connection is killed, as one table for two tests.
//
// The same cases run on real loopback sockets (tests/sim/real/, a forked
// child killed with SIGKILL: what Linux does) and on the simulated network
// (close_on_death_test.cpp, a ProcessKill: what the simulator does), and
// both must give each case's `seen`, word for word. The story of a case: a
// child connects to the peer and sends "hello"; the peer sends it "x" if the
// child is to die with unread input; the peer reads "hello" at once unless
// it is frozen (it reads nothing until after the kill); the child is killed;
// then the peer writes "y" if the case says so, and reads three times.
//
// Observations: "read <bytes>", "read connection_closed" (end of stream:
// read() returned 0), "read connection_reset" (ECONNRESET), "write ok",
// "write connection_reset".
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace locklab::sim::testing {

struct CloseOnDeathCase {
  std::string_view name;
  bool unread_input = false;  // the child dies with "x" unread
  bool peer_frozen = false;   // the peer reads nothing before the kill
  bool peer_writes = false;   // the peer writes "y" after the kill
  std::vector<std::string> seen;  // the peer's reads and writes, in order
};

// GoogleTest names a failing case by this.
inline void PrintTo(const CloseOnDeathCase& c, std::ostream* out) { *out << c.name; }

// A FIN when the child had read everything, a reset when it had not; either
// way the bytes already in the peer's buffer stay readable. A reset is
// reported once, then the end of the stream; a reset that answers the peer's
// write after a FIN is never reported (the end of the stream came first).
inline std::vector<CloseOnDeathCase> close_on_death_cases() {
  return {
      {"FinAfterHelloWasRead", false, false, false,
       {"read hello", "read connection_closed", "read connection_closed",
        "read connection_closed"}},
      {"FinThenWrite", false, false, true,
       {"read hello", "write ok", "read connection_closed", "read connection_closed",
        "read connection_closed"}},
      {"FinToFrozenPeerKeepsHello", false, true, false,
       {"read hello", "read connection_closed", "read connection_closed"}},
      {"FinToFrozenPeerThenWrite", false, true, true,
       {"write ok", "read hello", "read connection_closed", "read connection_closed"}},
      {"ResetAfterHelloWasRead", true, false, false,
       {"read hello", "read connection_reset", "read connection_closed",
        "read connection_closed"}},
      {"ResetThenWrite", true, false, true,
       {"read hello", "write connection_reset", "read connection_closed",
        "read connection_closed", "read connection_closed"}},
      {"ResetToFrozenPeerKeepsHello", true, true, false,
       {"read hello", "read connection_reset", "read connection_closed"}},
      {"ResetToFrozenPeerThenWrite", true, true, true,
       {"write connection_reset", "read hello", "read connection_closed",
        "read connection_closed"}},
  };
}

}  // namespace locklab::sim::testing
