// is_within(): the one meaning of "within the assumptions". The generator
// draws only worlds it accepts, it rejects every world with a fault beyond
// them, each rule of the envelope can be broken alone, and RedLock within
// its envelope is safe, fenced, over many seeds.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "locklab/scenarios/envelope.hpp"
#include "locklab/scenarios/generator.hpp"
#include "locklab/scenarios/runner.hpp"

namespace locklab::scenarios {
namespace {

using namespace std::chrono_literals;

bool within(const Scenario& s) { return is_within(s, envelope_for(s, Mode::within)); }

// The classes of the faults and failovers of a scenario the within envelope
// of its algorithm does not allow, as the generator drew them.
bool has_fault_beyond(const Scenario& s) {
  const Envelope e = envelope_for(s, Mode::within);
  const auto allowed = [&](FaultClass c) { return std::find(e.classes.begin(), e.classes.end(), c) != e.classes.end(); };
  if (!s.failovers.empty() && !allowed(FaultClass::failover)) return true;
  for (const sim::Fault& f : s.faults) {
    if (std::holds_alternative<sim::ClockJump>(f.action) && !allowed(FaultClass::clock_jump)) return true;
    if (const auto* p = std::get_if<sim::ProcessPause>(&f.action)) {
      const bool client = sim::index_of(p->process) >= sim::index_of(client_id(s, 0));
      if (!allowed(client ? FaultClass::client_pause : FaultClass::server_pause)) return true;
    }
  }
  return false;
}

RC_GTEST_PROP(Envelope, EveryWorldDrawnWithinIsWithin, (std::uint64_t seed)) {
  const Algorithm a = *rc::gen::element(Algorithm::naive, Algorithm::naive_setnx, Algorithm::single_node,
                                        Algorithm::redlock);
  const Scenario s = generate_scenario(seed, {.algorithm = a, .mode = Mode::within});
  RC_ASSERT(beyond_because(s, envelope_for(s, Mode::within)) == std::string());
}

RC_GTEST_PROP(Envelope, EveryWorldDrawnBeyondWithABeyondFaultIsNotWithin, (std::uint64_t seed)) {
  const Algorithm a = *rc::gen::element(Algorithm::naive, Algorithm::naive_setnx, Algorithm::single_node,
                                        Algorithm::redlock);
  const Scenario s = generate_scenario(seed, {.algorithm = a, .mode = Mode::beyond});
  RC_PRE(has_fault_beyond(s));
  RC_ASSERT_FALSE(within(s));
}

// Any world drawn within, with one fault no envelope allows added, is
// beyond: a clock jump on a master, or a pause of a client.
RC_GTEST_PROP(Envelope, AWorldDrawnWithinPlusABeyondFaultIsNotWithin, (std::uint64_t seed)) {
  const Algorithm a = *rc::gen::element(Algorithm::naive, Algorithm::naive_setnx, Algorithm::single_node,
                                        Algorithm::redlock);
  Scenario s = generate_scenario(seed, {.algorithm = a, .mode = Mode::within});
  if (*rc::gen::arbitrary<bool>()) {
    s.faults.push_back({sim::true_time(1s), sim::ClockJump{master_id(s, 0), 1ms}});
  } else {
    s.faults.push_back({sim::true_time(1s), sim::ProcessPause{client_id(s, 0)}});
    s.faults.push_back({sim::true_time(2s), sim::ProcessResume{client_id(s, 0)}});
  }
  RC_ASSERT_FALSE(within(s));
}

// A careless holder is beyond every envelope: roughly half the clients
// drawn beyond are careless.
RC_GTEST_PROP(Envelope, EveryWorldWithACarelessHolderIsNotWithin, (std::uint64_t seed)) {
  const Scenario s = generate_scenario(seed, {.mode = Mode::beyond});
  RC_PRE(std::any_of(s.clients.begin(), s.clients.end(), [](const ClientSpec& c) { return !c.workload.careful; }));
  RC_ASSERT_FALSE(within(s));
}

// One world within RedLock's assumptions: three durable masters, careful
// clients, no faults. Each test below breaks one rule of the envelope.
Scenario redlock_world(bool fencing = false) {
  Scenario s = generate_scenario(7, {.algorithm = Algorithm::redlock, .mode = Mode::within, .masters = 3,
                                     .faults = 0, .fencing = fencing});
  for (MasterSpec& m : s.cluster.masters) {
    m.persistence = sim::redis::Persistence::none;
    m.restart_delay = 2 * sim::Duration(s.algorithm.ttl);
  }
  return s;
}

TEST(IsWithin, ARedLockWorldWithoutFaultsIsWithin) {
  const Scenario s = redlock_world();
  EXPECT_EQ(beyond_because(s, envelope_for(s, Mode::within)), "");
  EXPECT_TRUE(is_within(s, envelope_for(s, Mode::beyond)));
}

TEST(IsWithin, OneMasterDownOfThreeIsWithinTwoAtOnceAreNot) {
  Scenario s = redlock_world();
  s.faults = {{sim::true_time(1s), sim::ProcessKill{master_id(s, 0)}},
              {sim::true_time(1100ms), sim::ProcessRestart{master_id(s, 0)}}};
  EXPECT_TRUE(within(s)) << beyond_because(s, envelope_for(s, Mode::within));
  // The second crash comes after the first master's restart, but inside its
  // restart delay: it is still down.
  s.faults.push_back({sim::true_time(1200ms), sim::MachineCrash{master_id(s, 1)}});
  s.faults.push_back({sim::true_time(1300ms), sim::ProcessRestart{master_id(s, 1)}});
  EXPECT_FALSE(within(s));
  EXPECT_NE(beyond_because(s, envelope_for(s, Mode::within)).find("2 of 3 masters down"), std::string::npos)
      << beyond_because(s, envelope_for(s, Mode::within));
}

TEST(IsWithin, ACrashedMasterMustLoseNothingOrStayDownTwiceTheTtl) {
  Scenario s = redlock_world();
  s.faults = {{sim::true_time(1s), sim::ProcessKill{master_id(s, 0)}},
              {sim::true_time(1100ms), sim::ProcessRestart{master_id(s, 0)}}};
  s.cluster.masters[0].restart_delay = 2 * sim::Duration(s.algorithm.ttl) - 1ms;
  EXPECT_FALSE(within(s));
  s.cluster.masters[0].persistence = sim::redis::Persistence::aof_always;
  EXPECT_TRUE(within(s));
}

// A delayed restart protects the leases but not the fencing counter.
TEST(IsWithin, WithFencingACrashedMasterMustLoseNothing) {
  Scenario s = redlock_world(true);
  s.faults = {{sim::true_time(1s), sim::ProcessKill{master_id(s, 0)}},
              {sim::true_time(1100ms), sim::ProcessRestart{master_id(s, 0)}}};
  EXPECT_FALSE(within(s));
  s.cluster.masters[0].persistence = sim::redis::Persistence::aof_always;
  EXPECT_TRUE(within(s));
}

TEST(IsWithin, DriftUpToHalfTheFactorIsWithinMoreIsNot) {
  Scenario s = redlock_world();
  const std::int64_t half = s.algorithm.drift_ppm / 2;
  s.faults = {{sim::true_time(0s), sim::ClockDriftSet{master_id(s, 0), -half}}};
  s.clients[0].clock.drift_ppm = half;
  EXPECT_TRUE(within(s));
  s.clients[0].clock.drift_ppm = half + 1;
  EXPECT_FALSE(within(s));
  s.clients[0].clock.drift_ppm = 0;
  s.faults.push_back({sim::true_time(2s), sim::ClockDriftSet{master_id(s, 1), half + 1}});
  EXPECT_FALSE(within(s));
}

TEST(IsWithin, ClockJumpsClientPausesAndFailoversAreBeyond) {
  const Scenario base = redlock_world();
  Scenario jump = base;
  jump.faults = {{sim::true_time(1s), sim::ClockJump{master_id(jump, 0), 1ms}}};
  EXPECT_FALSE(within(jump));
  Scenario pause = base;
  pause.faults = {{sim::true_time(1s), sim::ProcessPause{client_id(pause, 0)}},
                  {sim::true_time(2s), sim::ProcessResume{client_id(pause, 0)}}};
  EXPECT_FALSE(within(pause));
  Scenario server_pause = base;
  server_pause.faults = {{sim::true_time(1s), sim::ProcessPause{master_id(server_pause, 0)}},
                         {sim::true_time(2s), sim::ProcessResume{master_id(server_pause, 0)}}};
  EXPECT_TRUE(within(server_pause));
  Scenario failover = base;
  failover.cluster.masters[0].replicas = 1;
  EXPECT_FALSE(within(failover));  // an async replica alone is beyond
  failover.failovers = {{sim::true_time(1s), failover.cluster.masters[0].name}};
  EXPECT_FALSE(within(failover));
}

TEST(IsWithin, AHolderMustBeCarefulAndWorkWithinItsShareOfTheTtl) {
  Scenario s = redlock_world();
  s.clients[0].workload.careful = false;
  EXPECT_FALSE(within(s));
  s.clients[0].workload.careful = true;
  s.clients[0].workload.writes = 2;
  s.clients[0].workload.hold = sim::Duration(s.algorithm.ttl) / 8;  // ttl / (4 × 2)
  EXPECT_TRUE(within(s));
  s.clients[0].workload.hold += 1ms;
  EXPECT_FALSE(within(s));
}

TEST(IsWithin, FaultsOnTheStorageAreBeyond) {
  Scenario s = redlock_world();
  s.faults = {{sim::true_time(1s), sim::MessageDelay{client_id(s, 0), storage_id(s), 1s, 1}}};
  EXPECT_FALSE(within(s));
  s.faults = {{sim::true_time(1s), sim::MessageDelay{client_id(s, 0), master_id(s, 0), 1s, 1}}};
  EXPECT_TRUE(within(s));
}

// The naive lock's blind DEL survives only partitions that reset: a held
// one delivers a release late.
TEST(IsWithin, TheNaiveLockAllowsOnlyResettingPartitions) {
  Scenario s = generate_scenario(3, {.algorithm = Algorithm::naive, .mode = Mode::within, .faults = 0});
  s.faults = {{sim::true_time(1s), sim::LinkPartition{{client_id(s, 0)}, {master_id(s, 0)}, false,
                                                      sim::PartitionMode::reset}}};
  EXPECT_TRUE(within(s)) << beyond_because(s, envelope_for(s, Mode::within));
  std::get<sim::LinkPartition>(s.faults[0].action).mode = sim::PartitionMode::hold;
  EXPECT_FALSE(within(s));
}

// SETNX then PEXPIRE: a deadline inside an attempt leaves a key without a
// TTL, so its clients wait out every retry.
TEST(IsWithin, TheSetnxLockNeedsDeadlinesPastEveryRetry) {
  Scenario s = generate_scenario(3, {.algorithm = Algorithm::naive_setnx, .mode = Mode::within, .faults = 0});
  EXPECT_TRUE(within(s)) << beyond_because(s, envelope_for(s, Mode::within));
  s.clients[0].workload.acquire_timeout = 1ms;
  EXPECT_FALSE(within(s));
}

// Within RedLock's assumptions (envelope_for: every clock within half the
// drift factor, at most a minority of five masters down at once, each
// losing nothing in its crash, partitions and delays of any length, server
// pauses, client crashes) no seed of 200 lets two clients hold the lock at
// once, and the fenced storage never takes a stale write.
TEST(RedLockWithinAssumptions, FencedFiveMastersSafeOverTwoHundredSeeds) {
  int grants = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const Scenario s = generate_scenario(seed, {.algorithm = Algorithm::redlock, .mode = Mode::within,
                                                .masters = 5, .min_clients = 3, .max_clients = 3,
                                                .fencing = true});
    ASSERT_TRUE(within(s)) << "seed " << seed;
    const RunReport r = run_scenario(s);
    ASSERT_NE(r.run.status, sim::RunStatus::failed) << "seed " << seed << ": " << r.run.detail;
    for (const char* checker : {"mutual_exclusion", "resource_safety"}) {
      const properties::Verdict* v = r.verdict(checker);
      ASSERT_NE(v, nullptr);
      ASSERT_NE(v->kind, properties::Verdict::Kind::violation) << "seed " << seed << ": " << v->summary;
    }
    grants += r.grants();
  }
  EXPECT_GT(grants, 200 * 3);  // the workload really ran: most clients got the lock, most more than once
}

// A quorum up is the assumption: one master of three down is within with the
// default quorum (2), beyond with a configured quorum of 3.
TEST(IsWithin, MastersDownAtOnceAreCountedAgainstTheConfiguredQuorum) {
  Scenario s = redlock_world();
  s.faults = {{sim::true_time(1s), sim::ProcessKill{master_id(s, 0)}}};
  EXPECT_EQ(masters_that_may_fail(s), 1u);
  EXPECT_EQ(beyond_because(s, envelope_for(s, Mode::within)), "");
  s.algorithm.quorum = 3;
  EXPECT_EQ(masters_that_may_fail(s), 0u);
  EXPECT_EQ(beyond_because(s, envelope_for(s, Mode::within)),
            "faults: 1 of 3 masters down at once; at most 0 may be (quorum 3)");
}

// Step workloads are judged step by step: careful writes with the
// shorthand's share of work, the scenario's own lock, no TTL shorter than
// its own, raw commands that only read; never with a naive lock.
TEST(IsWithin, StepsAreWithinWhenEveryStepIsWhatTheEnvelopeDescribes) {
  Scenario s = redlock_world();
  const sim::Duration share = sim::Duration(s.algorithm.ttl) / 4;
  const auto with = [&](std::vector<Step> steps) {
    Scenario t = s;
    t.clients[0].steps = std::move(steps);
    return beyond_because(t, envelope_for(t, Mode::within));
  };
  EXPECT_EQ(with({AcquireStep{.key = "lock", .deadline = 1h}, WatchStep{}, HoldStep{.min = 3s, .max = 3s},
                  WriteStep{.work = share, .careful = true}, ExtendStep{}, ReleaseStep{},
                  CommandStep{.node = "redis-0", .argv = {"PTTL", "lock"}},
                  GuardStep{.steps = {MutexStep{.key = "lock"}}},
                  ManagerStep{.key = "lock", .waiters = {{.destroy_after = 1ms}}}}),
            "");
  EXPECT_EQ(with({AcquireStep{.key = "lock"}, WriteStep{.careful = false}}),
            "clients[0].steps[1].careful: false (a careless write)");
  EXPECT_EQ(with({RepeatStep{.times = 2, .steps = {WriteStep{.work = share + 1ms, .careful = true}}}}),
            "clients[0].steps[0].steps[0].work: more than a holder may work");
  EXPECT_EQ(with({CommandStep{.node = "redis-0", .argv = {"DEL", "lock"}}}),
            "clients[0].steps[0].command: may change a key");
  EXPECT_EQ(with({AcquireStep{.key = "lock", .ttl = s.algorithm.ttl - 1ms}}),
            "clients[0].steps[0].ttl: shorter than the scenario's");
  s.locks.push_back({.name = "other", .algorithm = s.algorithm, .masters = {}});
  EXPECT_EQ(with({GuardStep{.steps = {AcquireStep{.key = "lock", .lock = "other"}}}}),
            "clients[0].steps[0].guard[0].lock: a named lock is not one the envelope describes");
  s.locks.clear();
  s.algorithm.kind = Algorithm::naive;
  s.cluster.masters.resize(1);
  EXPECT_EQ(with({AcquireStep{.key = "lock"}}),
            "clients[0].steps: steps with a naive lock are not a workload its envelope describes");
}

// Explore's step workloads, within the assumptions of the single-node lock
// and of RedLock: every component is drawn, every world is within, and the
// checkers find nothing in 100 worlds each (the soak runs far more).
TEST(StepWorkloadsWithinAssumptions, EveryComponentIsDrawnAndNothingIsFound) {
  std::set<std::string> seen;
  int larger_quorums = 0;  // RedLock worlds with a quorum above a majority
  for (const Algorithm algorithm : {Algorithm::single_node, Algorithm::redlock}) {
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
      const Scenario s = generate_scenario(seed, {.algorithm = algorithm, .mode = Mode::within, .steps = true});
      ASSERT_TRUE(within(s)) << "seed " << seed;
      if (s.algorithm.quorum && *s.algorithm.quorum > s.cluster.masters.size() / 2 + 1) ++larger_quorums;
      for (const ClientSpec& c : s.clients) {
        if (!c.steps) continue;
        const auto walk = [&seen](const auto& self, const std::vector<Step>& steps) -> void {
          for (const Step& step : steps) {
            seen.insert(std::string(step_name(step)));
            if (const auto* r = std::get_if<RepeatStep>(&step.kind)) self(self, r->steps);
            if (const auto* g = std::get_if<GuardStep>(&step.kind)) self(self, g->steps);
          }
        };
        walk(walk, *c.steps);
      }
      const RunReport r = run_scenario(s);
      ASSERT_FALSE(r.finding().has_value()) << name_of(algorithm) << " seed " << seed << ": "
                                            << (r.any_violation() ? r.verdicts.front().summary : r.run.detail);
    }
  }
  for (const char* kind : {"acquire", "extend", "watch", "manager", "mutex", "guard", "hold", "write", "release"}) {
    EXPECT_TRUE(seen.contains(kind)) << kind;
  }
  EXPECT_GT(larger_quorums, 0);
}

}  // namespace
}  // namespace locklab::scenarios
