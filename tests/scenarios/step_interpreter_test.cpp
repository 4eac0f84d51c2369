// Client steps run in a world: what each step records in the history, the
// lease steps without a lease, random holds within their range and the same
// for the same seed, raw commands to a node, and the shorthand workload
// running through the same interpreter (the library's trace hashes, checked
// by `locklab check scenarios/`, pin that it does exactly what it did).
#include <gtest/gtest.h>

#include <set>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;
using history::OpKind;
using history::OpStatus;
using history::Operation;

// One master "redis-a" (with a replica when asked), single-node lock, TTL 1 s.
Scenario one_client(std::vector<Step> steps, int replicas = 0) {
  Scenario s;
  s.name = "steps";
  s.duration = 5s;
  s.cluster.masters.push_back({.name = "redis-a", .replicas = replicas});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.algorithm.kind = Algorithm::single_node;
  s.algorithm.ttl = 1000ms;
  s.clients.push_back({.name = "worker", .steps = std::move(steps)});
  return s;
}

std::vector<const Operation*> ops_of(const RunReport& r, OpKind kind) {
  std::vector<const Operation*> out;
  for (const Operation& op : r.history.operations()) {
    if (op.kind == kind) out.push_back(&op);
  }
  return out;
}

std::string kinds(const RunReport& r) {
  std::string out;
  for (const Operation& op : r.history.operations()) {
    if (!out.empty()) out += ' ';
    out += history::name_of(op.kind);
    out += ':';
    out += op.outcome;
  }
  return out;
}

TEST(StepInterpreter, EachStepRecordsItsOperationInOrder) {
  const Scenario s = one_client({
      AcquireStep{.key = "job"},
      HoldStep{.min = 20ms, .max = 20ms},
      WriteStep{.count = 2},
      ExtendStep{.deadline = 1s},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
  });
  ASSERT_TRUE(validate(s).empty());
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r),
            "acquire:acquired write:accepted write:accepted extend:extended release:released "
            "command:(integer) 0");
  const auto extends = ops_of(r, OpKind::extend);
  ASSERT_EQ(extends.size(), 1u);
  EXPECT_EQ(extends[0]->status, OpStatus::ok);
  EXPECT_EQ(extends[0]->grant, ops_of(r, OpKind::acquire)[0]->id);
  EXPECT_TRUE(extends[0]->validity_end_local.has_value());
  // The hold: the first write's work starts 20 ms after the grant.
  const auto writes = ops_of(r, OpKind::write);
  EXPECT_GE(writes[0]->invoked_true - ops_of(r, OpKind::acquire)[0]->completed_true, 20ms + 10ms);
  EXPECT_FALSE(r.any_violation());
}

// Without a lease, hold, write, extend and release do nothing: a refused
// acquire (the key is taken by a raw SET first) skips straight to the sleep.
TEST(StepInterpreter, LeaseStepsWithoutALeaseDoNothing) {
  const Scenario s = one_client({
      CommandStep{.node = "redis-a", .argv = {"SET", "job", "someone", "PX", "60000"}},
      AcquireStep{.key = "job", .deadline = 100ms, .single_attempt = true},
      HoldStep{.min = 1s, .max = 1s},
      WriteStep{},
      ExtendStep{.deadline = 1s},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"GET", "job"}},
  });
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r), "command:OK acquire:busy command:\"someone\"");
  const auto commands = ops_of(r, OpKind::command);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_LT(commands[1]->invoked_true - commands[0]->completed_true, 50ms) << "the hold of 1 s was skipped";
}

// A random hold lies in [min, max], and the same seed draws the same one.
TEST(StepInterpreter, RandomHoldsAreWithinTheirRangeAndRepeatable) {
  const Scenario s = one_client({RepeatStep{.times = 5,
                                            .steps = {AcquireStep{.key = "job"},
                                                      HoldStep{.min = 10ms, .max = 90ms},
                                                      WriteStep{.count = 1, .work = 0ms},
                                                      ReleaseStep{}}}});
  const RunReport a = run_scenario(s);
  const RunReport b = run_scenario(s);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  const auto acquires = ops_of(a, OpKind::acquire);
  const auto writes = ops_of(a, OpKind::write);
  ASSERT_EQ(writes.size(), 5u);
  std::set<sim::Duration> holds;
  for (std::size_t i = 0; i < 5; ++i) {
    const sim::Duration held = writes[i]->invoked_true - acquires[i]->completed_true;
    EXPECT_GE(held, 10ms);
    EXPECT_LE(held, 90ms);
    holds.insert(held);
  }
  EXPECT_GT(holds.size(), 1u) << "five draws from [10ms, 90ms] all alike";
  RunOptions other_seed;
  other_seed.seed = s.seed + 1;
  EXPECT_NE(run_scenario(s, other_seed).trace_hash, a.trace_hash);
}

// single_attempt gives up after one attempt; a per-step ttl is the lease's.
TEST(StepInterpreter, SingleAttemptAndPerStepTtl) {
  const Scenario s = one_client({
      AcquireStep{.key = "a", .ttl = 300ms},
      CommandStep{.node = "redis-a", .argv = {"PTTL", "a"}},
      AcquireStep{.key = "a", .deadline = 2s, .single_attempt = true},
  });
  const RunReport r = run_scenario(s);
  const auto acquires = ops_of(r, OpKind::acquire);
  ASSERT_EQ(acquires.size(), 2u);
  EXPECT_EQ(acquires[0]->outcome, "acquired");
  // The key's TTL is the step's 300 ms, less the few ms of round trips (the
  // command's connection is new) before the PTTL reaches the node.
  const std::string pttl = ops_of(r, OpKind::command)[0]->outcome;
  ASSERT_TRUE(pttl.starts_with("(integer) ")) << pttl;
  const int left = std::stoi(pttl.substr(10));
  EXPECT_GE(left, 290) << pttl;
  EXPECT_LE(left, 300) << pttl;
  EXPECT_EQ(acquires[1]->outcome, "busy");
  EXPECT_LT(acquires[1]->completed_true - acquires[1]->invoked_true, 100ms) << "retried";
}

// CLIENT KILL from a command step closes the lock's pooled connection; the
// release that follows notices the dead connection and still releases.
TEST(StepInterpreter, ClientKillOfTheLocksConnectionThenReleaseReleases) {
  const Scenario s = one_client({
      AcquireStep{.key = "job"},
      CommandStep{.node = "redis-a", .argv = {"CLIENT", "KILL", "TYPE", "normal"}},
      SleepStep{.duration = 10ms},
      ReleaseStep{},
      CommandStep{.node = "redis-a", .argv = {"EXISTS", "job"}},
  });
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r), "acquire:acquired command:(integer) 1 release:released command:(integer) 0");
}

// A file with steps runs them: the same world from the text as from values.
TEST(StepInterpreter, AFileWithStepsRunsThem) {
  const Scenario s = parse_scenario(R"(format = 2
duration = "2s"
[[cluster.master]]
name = "redis-a"
[algorithm]
kind = "single_node"
[[client]]
name = "worker"
steps = [
  { repeat = 2, steps = [
    { acquire = "job" },
    { release = true },
  ] },
]
)",
                                    "steps.toml");
  const RunReport r = run_scenario(s);
  EXPECT_EQ(kinds(r), "acquire:acquired release:released acquire:acquired release:released");
}

}  // namespace
}  // namespace locklab::scenarios
