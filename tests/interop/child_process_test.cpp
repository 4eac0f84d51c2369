// run_child, the interop tests' way of running redis-py and node-redlock:
// what it captures, and that a child over its limit is killed rather than
// hanging the test.
#include <gtest/gtest.h>

#include <chrono>

#include "child_process.hpp"

namespace locklab::interop_test {
namespace {

using namespace std::chrono_literals;

TEST(InteropChildProcess, CapturesStdoutStderrAndTheExitCode) {
  const ChildResult r = run_child({"sh", "-c", "echo out; echo err >&2; exit 3"}, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(InteropChildProcess, KillsAChildThatOutlivesItsLimit) {
  const auto started = std::chrono::steady_clock::now();
  const ChildResult r = run_child({"sleep", "30"}, 200ms);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + 9);  // SIGKILL
  EXPECT_LT(took, 5s);
}

// Closing its output does not let a child escape the limit.
TEST(InteropChildProcess, KillsAChildThatClosedItsOutputAndHangs) {
  const ChildResult r = run_child({"sh", "-c", "exec >&- 2>&-; sleep 30"}, 300ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + 9);
}

TEST(InteropChildProcess, AProgramNotInstalledIsExecFailed) {
  const ChildResult r = run_child({"locklab-no-such-program"}, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, kExecFailed);
}

}  // namespace
}  // namespace locklab::interop_test
