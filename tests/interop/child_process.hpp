// tests/interop/child_process.hpp — runs a program to completion under a time
// limit and captures what it printed, for the interoperability tests, which
// drive redis-py and node-redlock as child processes.
//
// Provides run_child(argv, limit): fork + exec (execvp: argv[0] is looked up
// on PATH unless it holds a '/'), stdout and stderr read into strings, the
// child killed with SIGKILL if it has not exited within `limit`. The child
// gets PR_SET_PDEATHSIG(SIGKILL), so a crashed test leaves no peer behind.
//
// Not provided: standard input (the child's is /dev/null), an environment of
// its own (the child inherits the test's).
//
//   ChildResult r = run_child({"/usr/bin/python3", "x.py"}, std::chrono::seconds{15});
//   EXPECT_EQ(r.exit_code, 0) << r.describe();
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace locklab::interop_test {

struct ChildResult {
  int exit_code = -1;      // the child's exit status; 128 + signal if a signal ended it
  bool timed_out = false;  // killed by run_child at the limit
  std::string out{};
  std::string err{};

  // The command's outcome and output, for a failing assertion's message.
  std::string describe() const;
};

// Exit code of a child whose exec failed (the program is not installed).
inline constexpr int kExecFailed = 127;

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds limit);

}  // namespace locklab::interop_test
