// The cluster's set-up in a scenario: preset keys on named Redis nodes,
// per-link latencies, and the clients' fan-out mode — each changes what the
// world does, by exactly the virtual time it should.
#include <gtest/gtest.h>

#include <vector>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"
#include "locklab/scenarios/shrink.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;

// The acquires of client `name`, in the order they began.
std::vector<history::Operation> acquires(const RunReport& r, std::string_view name) {
  std::vector<history::Operation> out;
  for (const history::Operation& op : r.history.operations()) {
    if (op.kind == history::OpKind::acquire && op.client_name == name) out.push_back(op);
  }
  return out;
}

sim::Duration took(const history::Operation& op) { return op.completed_true - op.invoked_true; }

// Three RedLock masters, one client trying once (no retry) for "lock".
Scenario three_masters() {
  Scenario s;
  s.name = "preset-quorum";
  s.duration = 2s;
  for (int i = 0; i < 3; ++i) s.cluster.masters.push_back({.name = "redis-" + std::to_string(i)});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.algorithm = {.kind = Algorithm::redlock, .ttl = 1s, .retry_count = 0};
  s.clients.push_back({.name = "c", .workload = {.key = "lock", .iterations = 1, .hold = 10ms}});
  return s;
}

// Someone else's key on two of three masters leaves the client one node:
// no quorum, and the acquire says the lock is busy. On one master alone it
// still has two of three and gets the lock.
TEST(ClusterPreset, KeysOnTwoOfThreeMastersBlockTheQuorum) {
  Scenario s = three_masters();
  s.cluster.presets = {{.node = "redis-0", .key = "lock", .value = "someone-else"},
                       {.node = "redis-2", .key = "lock", .value = "someone-else"}};
  ASSERT_EQ(validate(s), std::vector<std::string>{});
  const RunReport blocked = run_scenario(s);
  const std::vector<history::Operation> ops = acquires(blocked, "c");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].status, history::OpStatus::fail);
  EXPECT_EQ(ops[0].outcome, "busy");

  s.cluster.presets.pop_back();
  const RunReport granted = run_scenario(s);
  ASSERT_EQ(acquires(granted, "c").size(), 1u);
  EXPECT_EQ(acquires(granted, "c")[0].status, history::OpStatus::ok);
  EXPECT_NE(blocked.trace_hash, granted.trace_hash);  // the presets are in the trace
}

// One node, a preset key with a 3s TTL, a client retrying every 100ms from
// the start: it gets the lock only once the key has expired by the node's
// clock (after 3000 ms: Redis expires at now > when).
Scenario expiring_preset(sim::redis::Persistence persistence) {
  Scenario s;
  s.name = "preset-ttl";
  s.duration = 6s;
  s.cluster.masters.push_back({.name = "redis-0", .persistence = persistence});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.cluster.presets = {{.node = "redis-0", .key = "lock", .value = "someone-else", .ttl = 3s}};
  s.algorithm = {.kind = Algorithm::single_node, .ttl = 1s, .retry_count = 100, .retry_delay = 100ms,
                 .retry_jitter = 0ms};
  s.clients.push_back({.name = "c", .workload = {.key = "lock", .iterations = 1, .acquire_timeout = 5s,
                                                 .hold = 10ms}});
  return s;
}

TEST(ClusterPreset, AKeyWithATtlExpiresThenTheClientAcquires) {
  const RunReport r = run_scenario(expiring_preset(sim::redis::Persistence::none));
  const std::vector<history::Operation> ops = acquires(r, "c");
  ASSERT_EQ(ops.size(), 1u);
  ASSERT_EQ(ops[0].status, history::OpStatus::ok) << ops[0].outcome;
  EXPECT_GT(ops[0].completed_true, sim::true_time(3001ms));
  EXPECT_LT(ops[0].completed_true, sim::true_time(3001ms + 100ms + 5ms));
}

// A preset is data written before the start: an AOF node restarted at 1s
// loads it back (the client still waits for the TTL), a node without
// persistence loses it (the client gets in soon after the restart).
TEST(ClusterPreset, APresetSurvivesARestartOnlyWithPersistence) {
  for (const auto persistence : {sim::redis::Persistence::aof_always, sim::redis::Persistence::rdb,
                                 sim::redis::Persistence::none}) {
    SCOPED_TRACE(std::string(sim::redis::name_of(persistence)));
    Scenario s = expiring_preset(persistence);
    s.faults.push_back({sim::true_time(1s), sim::ProcessKill{master_id(s, 0)}});
    s.faults.push_back({sim::true_time(1s + 50ms), sim::ProcessRestart{master_id(s, 0)}});
    const RunReport r = run_scenario(s);
    const std::vector<history::Operation> ops = acquires(r, "c");
    ASSERT_EQ(ops.size(), 1u);
    ASSERT_EQ(ops[0].status, history::OpStatus::ok) << ops[0].outcome;
    if (persistence == sim::redis::Persistence::none) {
      EXPECT_LT(ops[0].completed_true, sim::true_time(1200ms));
    } else {
      EXPECT_GT(ops[0].completed_true, sim::true_time(3001ms));
    }
  }
}

// Two clients on one node, each acquiring once at the start; the link
// between c-slow and the node takes 5 ms each way instead of 1 ms. Every
// one-way trip of c-slow's acquire (connect and SET) takes 4 ms more, and
// c-fast's acquire is untouched.
TEST(ClusterLink, ASlowLinkSlowsThatClientsAcquiresOnly) {
  Scenario s;
  s.name = "slow-link";
  s.duration = 1s;
  s.cluster.masters.push_back({.name = "redis-0"});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.algorithm = {.kind = Algorithm::single_node, .ttl = 1s, .retry_count = 0};
  s.clients.push_back({.name = "c-slow", .workload = {.key = "a", .iterations = 1, .hold = 10ms}});
  s.clients.push_back({.name = "c-fast", .workload = {.key = "b", .iterations = 1, .hold = 10ms}});
  const RunReport before = run_scenario(s);
  s.cluster.links = {{.a = "redis-0", .b = "c-slow", .latency = sim::FixedLatency{5ms}}};
  ASSERT_EQ(validate(s), std::vector<std::string>{});
  const RunReport after = run_scenario(s);

  const sim::Duration base = took(acquires(before, "c-slow").at(0));
  EXPECT_EQ(took(acquires(before, "c-fast").at(0)), base);
  EXPECT_EQ(base, 4ms);  // connect (there and back) and SET (there and back)
  EXPECT_EQ(took(acquires(after, "c-slow").at(0)), 5 * base);
  EXPECT_EQ(took(acquires(after, "c-fast").at(0)), base);
}

// RedLock over five masters, fixed 1 ms latency, a client acquiring twice
// (the second time over its pooled connections): in parallel an acquire
// costs one round trip, sequentially one per node.
TEST(ClusterFanOut, SequentialCostsOneRoundTripPerNode) {
  Scenario s;
  s.name = "fan-out";
  s.duration = 2s;
  for (int i = 0; i < 5; ++i) s.cluster.masters.push_back({.name = "redis-" + std::to_string(i)});
  s.cluster.latency = sim::FixedLatency{1ms};
  s.algorithm = {.kind = Algorithm::redlock, .ttl = 10s, .node_timeout = 50ms, .retry_count = 0};
  s.clients.push_back({.name = "c", .workload = {.key = "lock", .iterations = 2, .hold = 10ms}});

  const RunReport parallel = run_scenario(s);
  s.algorithm.fan_out = lock::FanOutMode::sequential;
  const RunReport sequential = run_scenario(s);
  const std::vector<history::Operation> p = acquires(parallel, "c");
  const std::vector<history::Operation> q = acquires(sequential, "c");
  ASSERT_EQ(p.size(), 2u);
  ASSERT_EQ(q.size(), 2u);
  for (const auto* ops : {&p, &q}) {
    for (const history::Operation& op : *ops) EXPECT_EQ(op.status, history::OpStatus::ok) << op.outcome;
  }
  // The first acquire also connects: one more round trip per connection.
  EXPECT_EQ(took(p[0]), 4ms);
  EXPECT_EQ(took(q[0]), 5 * 4ms);
  EXPECT_EQ(took(p[1]), 2ms);
  EXPECT_EQ(took(q[1]), 5 * 2ms);
}

// The three set-ups in a file: loaded, run, and written back equal.
TEST(ClusterSetupFile, PresetsLinksAndFanOutRoundTrip) {
  const Scenario s = parse_scenario(R"(format = 2
name = "set-up"
[cluster]
latency = "1ms"
masters = 3
[[cluster.preset]]
node = "redis-1"
key = "lock"
value = "someone-else"
ttl = "3s"
[[cluster.preset]]
node = "redis-2"
key = "lock:fence"
counter = 41
[[cluster.link]]
between = ["c", "redis-2"]
latency = { kind = "fixed", value = "5ms" }
[algorithm]
kind = "redlock"
fan_out = "sequential"
[[client]]
name = "c"
key = "lock"
)", "set-up.toml");
  ASSERT_EQ(s.cluster.presets.size(), 2u);
  EXPECT_EQ(s.cluster.presets[0], (PresetSpec{.node = "redis-1", .key = "lock", .value = "someone-else", .ttl = 3s}));
  EXPECT_EQ(s.cluster.presets[1], (PresetSpec{.node = "redis-2", .key = "lock:fence", .value = "41"}));
  ASSERT_EQ(s.cluster.links.size(), 1u);
  EXPECT_EQ(s.cluster.links[0], (LinkSpec{.a = "c", .b = "redis-2", .latency = sim::FixedLatency{5ms}}));
  EXPECT_EQ(s.algorithm.fan_out, lock::FanOutMode::sequential);
  const std::string text = to_toml(s);
  EXPECT_NE(text.find("format = 2\n"), std::string::npos);
  EXPECT_EQ(parse_scenario(text, "back.toml"), s);
}

// Without any of them a scenario is still written as format 1, and the
// fan-out mode is not written at its default.
TEST(ClusterSetupFile, WithoutThemTheFileStaysFormat1) {
  Scenario s = three_masters();
  const std::string text = to_toml(s);
  EXPECT_NE(text.find("format = 1\n"), std::string::npos);
  EXPECT_EQ(text.find("fan_out"), std::string::npos);
}

// validate() names each problem of a generated scenario by its field.
TEST(ClusterSetupValidation, NamesEachProblem) {
  Scenario s = three_masters();
  s.cluster.presets = {{.node = "redis-9", .key = "lock", .value = "x"},
                       {.node = "redis-0", .key = "", .value = "x", .ttl = 0ms}};
  s.cluster.links = {{.a = "c", .b = "nobody"},
                     {.a = "c", .b = "c"},
                     {.a = "redis-1", .b = "c"},
                     {.a = "c", .b = "redis-1", .latency = sim::UniformLatency{2ms, 1ms}}};
  const std::vector<std::string> expected = {
      "cluster.presets[0].node: no Redis node named 'redis-9'",
      "cluster.presets[1].key: must not be empty",
      "cluster.presets[1].ttl: must be positive, got 0 ms",
      "cluster.links[0].between: no process named 'nobody'",
      "cluster.links[1].between: a link joins two different processes, got 'c' twice",
      "cluster.links[3].between: the link between 'c' and 'redis-1' is already given, by link 2",
      "cluster.links[3].latency: uniform latency max must be >= min",
  };
  EXPECT_EQ(validate(s), expected);
}

// The shrinker's removals take a removed process's presets and links with
// it, so every candidate it tries still validates.
TEST(ClusterSetupShrink, RemovingAProcessDropsItsPresetsAndLinks) {
  Scenario s = three_masters();
  s.cluster.masters[1].replicas = 1;
  s.clients.push_back({.name = "d", .workload = {.key = "lock"}});
  s.cluster.presets = {{.node = "redis-0", .key = "a", .value = "x"},
                       {.node = "redis-1-replica-1", .key = "b", .value = "x"},
                       {.node = "redis-1", .key = "c", .value = "x"}};
  s.cluster.links = {{.a = "c", .b = "redis-1-replica-1"}, {.a = "d", .b = "redis-2"}, {.a = "c", .b = "redis-0"}};
  ASSERT_EQ(validate(s), std::vector<std::string>{});

  const Scenario no_replica = without_replica(s, 1);
  EXPECT_EQ(no_replica.cluster.presets.size(), 2u);
  EXPECT_EQ(no_replica.cluster.links.size(), 2u);
  EXPECT_EQ(validate(no_replica), std::vector<std::string>{});

  const Scenario no_master = without_master(s, 1);
  ASSERT_EQ(no_master.cluster.presets.size(), 1u);
  EXPECT_EQ(no_master.cluster.presets[0].node, "redis-0");
  EXPECT_EQ(no_master.cluster.links.size(), 2u);
  EXPECT_EQ(validate(no_master), std::vector<std::string>{});

  const Scenario no_client = without_client(s, 0);
  ASSERT_EQ(no_client.cluster.links.size(), 1u);
  EXPECT_EQ(no_client.cluster.links[0].a, "d");
  EXPECT_EQ(validate(no_client), std::vector<std::string>{});
}

}  // namespace
}  // namespace locklab::scenarios
