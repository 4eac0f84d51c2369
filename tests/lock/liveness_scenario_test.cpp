// The liveness and token-hygiene checkers on a real run: SingleNodeLock's
// crashed holder (the story of scenarios/client-crash-while-holding.toml)
// judged against bounds derived from the lock's options, and against bounds
// that are too tight, which the crashed-holder rule must then flag; and how
// soon the key came free, to the millisecond, which a file cannot say.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "locklab/properties/liveness.hpp"
#include "locklab/properties/token_hygiene.hpp"
#include "locklab/scenarios/client_crashes.hpp"
#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;

// scenarios/client-crash-while-holding.toml: A holds "job" (TTL 1 s) and is
// killed at 50 ms; B tries from 100 ms, retrying every 20 ms. The key
// expires about 1 s after A set it and B gets it on its next retry.
struct KilledHolder {
  scenarios::Scenario s = scenarios::load_scenario(std::filesystem::path(LOCKLAB_SOURCE_DIR) / "scenarios" /
                                                   "client-crash-while-holding.toml");
  scenarios::RunReport r = scenarios::run_scenario(s);

  properties::Verdict liveness(sim::Duration ttl) const {
    const std::vector<sim::ProcessId> clients = {scenarios::client_id(s, 0)};
    const properties::LivenessInput in{
        .bounds = {.ttl = ttl, .drift_allowance = 12ms, .retry_delay_max = 20ms,
                   .attempt_max = 5ms, .think_max = 10ms},
        .last_heal = sim::true_time(50ms),
        .run_end = r.run.now,
        .crashes = scenarios::client_crashes(s.faults, clients)};
    return properties::check_liveness(r.history, in, r.faults);
  }
};

TEST(LivenessScenario, KilledHoldersLockComesFreeWithinTheBound) {
  const KilledHolder k;
  ASSERT_NE(k.r.run.status, sim::RunStatus::failed) << k.r.run.detail;
  ASSERT_EQ(k.r.grants(), 2);
  const properties::Verdict v = k.liveness(1s);
  EXPECT_EQ(v.kind, properties::Verdict::Kind::ok) << v.summary;
  const properties::Verdict t = properties::check_token_hygiene(k.r.history);
  EXPECT_EQ(t.kind, properties::Verdict::Kind::ok) << t.summary;
}

// scenarios/client-crash-while-holding.toml says the checkers pass; this says
// how soon: B gets the key only after A's validity ended, and within the TTL
// plus one retry interval (20 ms) and a round trip of A's acquire.
TEST(LivenessScenario, KilledHoldersKeyIsTakenOneRetryAfterItsTtl) {
  const KilledHolder k;
  std::vector<history::Operation> grants;
  for (const history::Operation& op : k.r.history.operations()) {
    if (op.kind == history::OpKind::acquire && op.status == history::OpStatus::ok) {
      grants.push_back(op);
    }
  }
  ASSERT_EQ(grants.size(), 2u);
  ASSERT_TRUE(grants[0].validity_end_true.has_value());
  EXPECT_GE(grants[1].completed_true, *grants[0].validity_end_true);
  EXPECT_LE(grants[1].completed_true - grants[0].invoked_true, 1s + 20ms + 1ms);
}

// Told the TTL is 500 ms, the checker expects B served within 542 ms (500 + 12 + 20 + 2 x 5) of the
// crash; B waited about 950 ms.
TEST(LivenessScenario, TooTightABoundIsFlaggedAsCrashedHolderViolation) {
  const KilledHolder k;
  const properties::Verdict v = k.liveness(500ms);
  ASSERT_EQ(v.kind, properties::Verdict::Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "crashed_holder");
  EXPECT_EQ(v.first->first.client_name, "a");
  EXPECT_EQ(v.first->second.client_name, "b");
  EXPECT_EQ(v.first->until, v.first->at + 542ms);
  ASSERT_FALSE(v.first->faults.empty());
  EXPECT_EQ(v.first->faults[0].at, sim::true_time(50ms));
}

// A master frozen for the whole run, so every acquire retries until its
// deadline (300 ms). Client a returns by it plus the slack (node timeout 20 ms + 1 ms);
// client b, paused from 100 ms to 800 ms, returns late by its own clock, and
// the judge excuses it: its process was not running when the deadline passed.
TEST(LivenessScenario, DeadlinesAreRecordedAndAPausedCallerIsExcused) {
  const scenarios::Scenario s = scenarios::parse_scenario(R"(format = 1
name = "deadlines"
seed = 1
duration = "2s"
[cluster]
masters = 1
[algorithm]
kind = "single_node"
ttl = "1s"
node_timeout = "20ms"
retry_count = 1000
retry_delay = "10ms"
retry_jitter = "0s"
[[client]]
name = "a"
key = "job"
iterations = 1
acquire_timeout = "300ms"
[[client]]
name = "b"
key = "job"
iterations = 1
acquire_timeout = "300ms"
[[fault]]
at = "0s"
kind = "pause"
process = "redis-0"
[[fault]]
at = "100ms"
kind = "pause"
process = "b"
[[fault]]
at = "800ms"
kind = "resume"
process = "b"
)",
                                                          "deadlines.toml");
  const scenarios::RunReport r = scenarios::run_scenario(s);
  ASSERT_NE(r.run.status, sim::RunStatus::failed) << r.run.detail;
  int acquires = 0;
  for (const history::Operation& op : r.history.operations()) {
    if (op.kind != history::OpKind::acquire) continue;
    ++acquires;
    ASSERT_TRUE(op.deadline_local.has_value()) << op.client_name;
    EXPECT_EQ(*op.deadline_local, op.invoked_local + 300ms) << op.client_name;
    EXPECT_EQ(op.outcome, "indeterminate") << op.client_name;  // the SETs went unanswered
    if (op.client_name == "a") {
      EXPECT_GE(op.completed_local, *op.deadline_local - 20ms);  // it tried until the deadline
      EXPECT_LE(op.completed_local, *op.deadline_local + 21ms);
    } else {
      EXPECT_GE(op.completed_true, sim::true_time(800ms));
    }
  }
  EXPECT_EQ(acquires, 2);
  const properties::Verdict* judged = r.verdict("liveness");
  ASSERT_NE(judged, nullptr);
  EXPECT_EQ(judged->kind, properties::Verdict::Kind::ok) << judged->summary;

  // Without the pause to excuse it, b's late return is a deadline violation.
  const properties::Verdict v = properties::check_liveness(
      r.history, {.bounds = {.ttl = 10s, .deadline_slack = 21ms}, .run_end = r.run.now}, r.faults);
  ASSERT_EQ(v.kind, properties::Verdict::Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "deadline");
  EXPECT_EQ(v.first->first.client_name, "b") << v.summary;
}

// RedLock over 5 masters tolerates 2 down at once: with `down` of them
// killed at the start (never restarted), liveness is judged from the start
// while that is at most 2, and not at all beyond. `preset` puts a key that
// never expires, someone else's, on the next master. (Killed, not paused:
// a paused master leaves every SET unanswered, so each acquire is
// indeterminate and excuses its last attempt.)
// `restart_at`: when the killed masters restart (never, by default).
scenarios::RunReport redlock_with_masters_down(int down, bool preset, const std::string& restart_at = {}) {
  std::string text = R"(format = 2
name = "minority-down"
seed = 3
duration = "4s"
[cluster]
latency = { kind = "fixed", value = "1ms" }
masters = 5
)";
  if (preset) {
    text += "[[cluster.preset]]\nnode = \"redis-" + std::to_string(down) +
            "\"\nkey = \"job\"\nvalue = \"someone-else\"\n";
  }
  text += R"([algorithm]
kind = "redlock"
ttl = "500ms"
retry_count = 3
retry_delay = "50ms"
retry_jitter = "10ms"
[[client]]
name = "a"
key = "job"
iterations = 1000
acquire_timeout = "500ms"
hold = "100ms"
think = "10ms"
[[client]]
name = "b"
key = "job"
iterations = 1000
acquire_timeout = "500ms"
hold = "100ms"
think = "10ms"
)";
  for (int i = 0; i < down; ++i) {
    text += "[[fault]]\nat = \"0s\"\nkind = \"kill\"\nprocess = \"redis-" + std::to_string(i) + "\"\n";
    if (!restart_at.empty()) {
      text += "[[fault]]\nat = \"" + restart_at + "\"\nkind = \"restart\"\nprocess = \"redis-" +
              std::to_string(i) + "\"\n";
    }
  }
  return scenarios::run_scenario(scenarios::parse_scenario(text, "minority-down.toml"));
}

TEST(LivenessScenario, RedLockIsJudgedWhileAMinorityOfMastersIsDown) {
  const scenarios::RunReport r = redlock_with_masters_down(2, false);
  ASSERT_NE(r.run.status, sim::RunStatus::failed) << r.run.detail;
  EXPECT_GT(r.grants(), 10);
  const properties::Verdict* v = r.verdict("liveness");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->kind, properties::Verdict::Kind::ok) << v->summary;
  EXPECT_THAT(v->summary, ::testing::HasSubstr("after the last heal (0ns)"));

  // Restarted later: the restarts end a tolerated fault, and move nothing.
  const scenarios::RunReport back = redlock_with_masters_down(2, false, "1s");
  const properties::Verdict* b = back.verdict("liveness");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->kind, properties::Verdict::Kind::ok) << b->summary;
  EXPECT_THAT(b->summary, ::testing::HasSubstr("after the last heal (0ns)"));
}

// A third master blocked for good (a key of someone else's that never
// expires) leaves no quorum: judged during the tolerated pauses, that is a
// progress violation; three masters down are beyond the quorum, so nothing
// is judged while they last (the whole run).
TEST(LivenessScenario, NoQuorumLeftWhileAMinorityIsDownIsAProgressViolation) {
  const scenarios::RunReport blocked = redlock_with_masters_down(2, true);
  EXPECT_EQ(blocked.grants(), 0);
  const properties::Verdict* v = blocked.verdict("liveness");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->kind, properties::Verdict::Kind::violation) << v->summary;
  EXPECT_EQ(v->first->rule, "progress");

  const scenarios::RunReport majority = redlock_with_masters_down(3, false);
  EXPECT_EQ(majority.grants(), 0);
  const properties::Verdict* m = majority.verdict("liveness");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kind, properties::Verdict::Kind::ok) << m->summary;
  EXPECT_THAT(m->summary, ::testing::HasSubstr("after the last heal (4s)"));
}

}  // namespace
}  // namespace locklab::testing
