// Liveness over hand-written histories. The bound in every test is
// ttl 1000 + drift 10 + retry 100 + 2 x attempt 20 = 1150ms; a client's think
// time between acquires is at most 50ms. Each test tells who kept trying for
// what, when the faults healed and who crashed, and the verdict that follows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "hand_history.hpp"
#include "locklab/properties/liveness.hpp"

namespace locklab::properties {
namespace {

using ::testing::HasSubstr;
using testing::HandHistory;
using testing::ms;
using Kind = Verdict::Kind;
using history::OpStatus;
using namespace std::chrono_literals;

LivenessInput input(std::int64_t heal_ms, std::int64_t end_ms, RunEnd ended = RunEnd::deadline) {
  return {.bounds = {.ttl = 1000ms,
                     .drift_allowance = 10ms,
                     .retry_delay_max = 100ms,
                     .attempt_max = 20ms,
                     .think_max = 50ms},
          .last_heal = ms(heal_ms),
          .run_end = ms(end_ms),
          .ended = ended};
}

// c2 keeps trying from 600ms: four refused acquires 20ms apart, the last
// ending at 2670ms. c1 held the key until it released at 500ms.
struct Starved {
  HandHistory h;
  std::uint64_t g1 = 0;
  std::uint64_t last = 0;
  Starved() {
    g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
    h.release(g1, 500, 510);
    h.acquire(2, "k", 600, 1100, OpStatus::fail);
    h.acquire(2, "k", 1120, 1620, OpStatus::fail);
    h.acquire(2, "k", 1650, 2150, OpStatus::fail);
    last = h.acquire(2, "k", 2170, 2670, OpStatus::fail);
  }
};

TEST(LivenessBounds, BoundAddsTtlDriftRetryAndTwoAttempts) {
  EXPECT_EQ(input(0, 0).bounds.bound(), 1150ms);
}

// Two clients taking turns, the waiter served as soon as the holder lets go.
TEST(Liveness, ClientsTakingTurnsIsOk) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
  h.release(g1, 400, 410);
  const auto g2 = h.acquire(2, "k", 300, 450, OpStatus::ok, 1450);
  h.release(g2, 900, 910);
  const Verdict v = check_liveness(h.history, input(0, 2000));
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  EXPECT_EQ(v.checker, "liveness");
  EXPECT_TRUE(v.blocked.empty());
  EXPECT_THAT(v.summary, HasSubstr("nothing blocked at the end (2s)"));
}

// Faults healed at 1000ms; c2 then keeps trying with no grant through 2670ms.
// The wait counts from the heal and is overdue at 1000 + 1150 = 2150ms; the
// acquire blocked then is the one invoked at 2170ms (2150ms falls in a think
// gap; the one ending at 2150ms exactly no longer waits). The previous
// holder and the heal are in the report.
TEST(Liveness, WaiterStarvedAfterHealIsProgressViolation) {
  Starved s;
  const std::vector<FaultNote> faults = {{ms(900), "heal c2 -> masters"}, {ms(4000), "kill c1"}};
  const Verdict v = check_liveness(s.h.history, input(1000, 3000), faults);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  ASSERT_TRUE(v.first);
  EXPECT_EQ(v.first->rule, "progress");
  EXPECT_EQ(v.first->at, ms(1000));
  EXPECT_EQ(v.first->until, ms(2150));
  EXPECT_EQ(v.first->first.grant, s.last);
  EXPECT_EQ(v.first->first.client_name, "c2");
  EXPECT_EQ(v.first->second.grant, s.g1);
  EXPECT_EQ(v.first->faults, (std::vector<FaultNote>{{ms(900), "heal c2 -> masters"}}));
  EXPECT_THAT(v.summary, HasSubstr("bound 1.15s"));
  EXPECT_THAT(v.summary, HasSubstr("acquire " + std::to_string(s.last) + " (c2, invoked 2.17s"));
}

// The same starvation, but the faults only healed at 2000ms: 670ms of waiting
// after the heal is within the bound.
TEST(Liveness, WaitingBeforeTheHealIsNotJudged) {
  Starved s;
  const Verdict v = check_liveness(s.h.history, input(2000, 3000));
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
}

// A gap longer than think_max between two refused acquires ends the wait: c2
// tries [600, 1700), pauses 100ms, tries [1800, 2900). Neither stretch is
// longer than the bound; as one (with a 50ms gap) it would be.
TEST(Liveness, AGapLongerThanThinkTimeEndsTheWait) {
  HandHistory h;
  h.acquire(2, "k", 600, 1700, OpStatus::fail);
  h.acquire(2, "k", 1800, 2900, OpStatus::fail);
  EXPECT_EQ(check_liveness(h.history, input(0, 3000)).kind, Kind::ok);

  HandHistory close;
  close.acquire(2, "k", 600, 1700, OpStatus::fail);
  close.acquire(2, "k", 1750, 2900, OpStatus::fail);
  EXPECT_EQ(check_liveness(close.history, input(0, 3000)).kind, Kind::violation);
}

// c1 is granted the key at 1500ms and releases it in that same instant: its
// belief [1500, 1500) is empty, but a grant is progress. c2's wait is cut in
// two (900ms and 800ms, each within the bound); without c1's grant it would
// be one wait of 1700ms.
TEST(Liveness, AGrantReleasedTheInstantItWasMadeEndsTheWait) {
  HandHistory h;
  h.acquire(2, "k", 600, 1400, OpStatus::fail);
  h.acquire(2, "k", 1420, 2300, OpStatus::fail);
  EXPECT_EQ(check_liveness(h.history, input(0, 3000)).kind, Kind::violation);

  const auto g1 = h.acquire(1, "k", 1490, 1500, OpStatus::ok, 2500);
  h.release(g1, 1500, 1510);
  const Verdict v = check_liveness(h.history, input(0, 3000));
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
}

// A holder that keeps its lock by extending it is no liveness problem, however
// long c2 waits: belief is not waiting time.
TEST(Liveness, HolderThatKeepsHoldingIsNotAViolation) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
  h.extend(g1, 900, 910, OpStatus::ok, 1910);
  h.extend(g1, 1800, 1810, OpStatus::ok, 2810);
  h.acquire(2, "k", 100, 1500, OpStatus::fail);
  h.acquire(2, "k", 1520, 2900, OpStatus::fail);
  const Verdict v = check_liveness(h.history, input(0, 3000));
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
}

// An info acquire may have set the key during its last attempt
// ([1080, 1100)): that is not waiting time, and the key it may have set lives
// within the bound after it. So c2's wait counts from 1100ms: through 2200ms
// it is within the bound (it would not be, counted from 1000ms), through
// 2300ms it is not.
TEST(Liveness, InfoAcquireExcusesOnlyItsLastAttempt) {
  auto run = [](std::int64_t c2_until) {
    HandHistory h;
    h.acquire(1, "k", 1000, 1100, OpStatus::info);
    h.acquire(2, "k", 1000, c2_until, OpStatus::fail);
    return check_liveness(h.history, input(0, 3000));
  };
  EXPECT_EQ(run(2200).kind, Kind::ok) << run(2200).summary;
  const Verdict v = run(2300);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->at, ms(1100));
  EXPECT_EQ(v.first->until, ms(2250));
  EXPECT_EQ(v.first->first.grant, 2u);
  EXPECT_EQ(v.first->second.grant, 0u);  // no holder before
}

// An acquire still pending at a deadline-ended run is fine if it has not
// waited longer than the bound, and it is listed as blocked.
TEST(Liveness, PendingWithinTheBoundAtTheDeadlineIsOkAndListed) {
  HandHistory h;
  const auto a = h.acquire(2, "k", 2500, 0, OpStatus::pending);
  const Verdict v = check_liveness(h.history, input(0, 3000));
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  ASSERT_EQ(v.blocked.size(), 1u);
  EXPECT_EQ(v.blocked[0], (BlockedOp{.client = history::ProcessId{2},
                                     .client_name = "c2",
                                     .op = a,
                                     .kind = history::OpKind::acquire,
                                     .key = "k",
                                     .since = ms(2500)}));
  EXPECT_THAT(v.summary, HasSubstr("c2 on acquire " + std::to_string(a) + " of \"k\" since 2.5s"));
}

// Pending since 1000ms when the run ends at 3000ms: overdue at 2150ms.
TEST(Liveness, PendingLongerThanTheBoundIsProgressViolation) {
  HandHistory h;
  h.acquire(2, "k", 1000, 0, OpStatus::pending);
  const Verdict v = check_liveness(h.history, input(0, 3000));
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "progress");
  EXPECT_EQ(v.first->until, ms(2150));
  EXPECT_THAT(v.summary, HasSubstr("still pending at the end"));
}

// The world ran out of events with c1's release in flight: it can never
// complete. Reported as stuck, with what c1 is blocked on.
TEST(Liveness, IdleWorldWithPendingOpsIsStuck) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
  const auto r = h.release(g1, 500, 0, OpStatus::pending);
  const Verdict v = check_liveness(h.history, input(0, 600, RunEnd::idle));
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "stuck");
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_EQ(v.first->at, ms(500));
  EXPECT_EQ(v.first->until, ms(600));
  ASSERT_EQ(v.blocked.size(), 1u);
  EXPECT_EQ(v.blocked[0].op, r);
  EXPECT_THAT(v.summary, HasSubstr("c1 on release " + std::to_string(r) + " of \"k\" since 500ms"));
  // The same history at a planned deadline is fine: 100ms is not long.
  EXPECT_EQ(check_liveness(h.history, input(0, 600)).kind, Kind::ok);
}

// A run cut short by its budget cannot say whether the waiters would have
// been served: unknown, with each blocked client in the text.
TEST(Liveness, BudgetExhaustedIsUnknownWithWhatEachClientWaitsOn) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
  h.release(g1, 500, 0, OpStatus::pending);
  const auto a = h.acquire(2, "k", 400, 0, OpStatus::pending);
  const Verdict v = check_liveness(h.history, input(0, 600, RunEnd::budget));
  EXPECT_EQ(v.kind, Kind::unknown) << v.summary;
  EXPECT_THAT(v.summary, HasSubstr("budget"));
  EXPECT_THAT(v.summary, HasSubstr("c1 on release"));
  EXPECT_THAT(v.summary, HasSubstr("c2 on acquire " + std::to_string(a) + " of \"k\" since 400ms"));
  EXPECT_EQ(v.blocked.size(), 2u);
}

// Ops left pending by a crash died with their process: they are not blocked,
// so an idle end is not stuck; the crashed acquire's last attempt
// ([180, 200)) may have set the key and is not waiting time.
TEST(Liveness, OpsOfACrashedProcessAreNotBlocked) {
  HandHistory h;
  h.acquire(3, "k", 100, 0, OpStatus::pending);
  LivenessInput in = input(0, 600, RunEnd::idle);
  in.crashes = {{history::ProcessId{3}, ms(200)}};
  const Verdict v = check_liveness(h.history, in);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  EXPECT_TRUE(v.blocked.empty());
}

// A lock manager's local waiters: c1's acquire invoked at 200ms is granted at
// 300ms while its acquire invoked at 100ms still waits (it times out at
// 1000ms). That is out of order; in order, or with FIFO not expected, fine.
TEST(Liveness, LaterLocalWaiterGrantedFirstIsFifoViolation) {
  HandHistory h;
  const auto a = h.acquire(1, "k", 100, 1000, OpStatus::fail);
  const auto b = h.acquire(1, "k", 200, 300, OpStatus::ok, 1300);
  h.release(b, 500, 510);
  const Verdict v = check_liveness(h.history, input(0, 2000));
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "fifo");
  EXPECT_EQ(v.first->first.grant, a);
  EXPECT_EQ(v.first->second.grant, b);
  EXPECT_EQ(v.first->at, ms(200));
  EXPECT_EQ(v.first->until, ms(300));

  LivenessInput plain = input(0, 2000);
  plain.fifo_local_waiters = false;
  EXPECT_EQ(check_liveness(h.history, plain).kind, Kind::ok);

  HandHistory ordered;
  const auto first = ordered.acquire(1, "k", 100, 300, OpStatus::ok, 1300);
  ordered.release(first, 400, 410);
  ordered.acquire(1, "k", 200, 420, OpStatus::ok, 1420);
  EXPECT_EQ(check_liveness(ordered.history, input(0, 2000)).kind, Kind::ok);

  // The earlier waiter gave up (timed out) at 250ms, before the grant: no
  // one was overtaken.
  HandHistory gave_up;
  gave_up.acquire(1, "k", 100, 250, OpStatus::fail);
  gave_up.acquire(1, "k", 200, 300, OpStatus::ok, 1300);
  EXPECT_EQ(check_liveness(gave_up.history, input(0, 2000)).kind, Kind::ok);
}

// c1 is killed at 100ms while holding the key (its belief runs on to its
// validity end, 1010ms). c2 tries from 150ms and is granted only at 1450ms:
// counting from 150ms it waited past 1300ms. Progress alone would not see it
// (the wait after the belief, [1010, 1400), is short).
struct CrashedHolder {
  HandHistory h;
  std::uint64_t g1 = 0;
  std::uint64_t blocked = 0;
  explicit CrashedHolder(std::int64_t granted_at) {
    g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
    h.acquire(2, "k", 150, 640, OpStatus::fail);
    h.acquire(2, "k", 660, 1150, OpStatus::fail);
    blocked = h.acquire(2, "k", 1170, granted_at - 10, OpStatus::fail);
    h.acquire(2, "k", granted_at - 10, granted_at, OpStatus::ok, granted_at + 1000);
  }
};

TEST(Liveness, CrashedHoldersLockFreedLateIsViolation) {
  CrashedHolder s(1400);
  LivenessInput in = input(0, 3000);
  in.crashes = {{history::ProcessId{1}, ms(100)}};
  const std::vector<FaultNote> faults = {{ms(100), "kill c1"}};
  const Verdict v = check_liveness(s.h.history, in, faults);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "crashed_holder");
  EXPECT_EQ(v.first->first.grant, s.g1);
  EXPECT_EQ(v.first->second.grant, s.blocked);
  EXPECT_EQ(v.first->at, ms(150));
  EXPECT_EQ(v.first->until, ms(1300));
  EXPECT_EQ(v.first->faults, faults);
  EXPECT_THAT(v.summary, HasSubstr("c1 crashed at 100ms while holding grant"));

  // Without the crash, the same history is fine: c1 might have been holding.
  EXPECT_EQ(check_liveness(s.h.history, input(0, 3000)).kind, Kind::ok);
}

TEST(Liveness, CrashedHoldersLockFreedInTimeIsOk) {
  CrashedHolder s(1250);
  LivenessInput in = input(0, 3000);
  in.crashes = {{history::ProcessId{1}, ms(100)}};
  const Verdict v = check_liveness(s.h.history, in);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
}

// A crash before the last heal is not judged by this rule: other faults may
// have kept the key from coming free.
TEST(Liveness, CrashBeforeTheLastHealIsNotJudged) {
  CrashedHolder s(1400);
  LivenessInput in = input(500, 3000);
  in.crashes = {{history::ProcessId{1}, ms(100)}};
  EXPECT_EQ(check_liveness(s.h.history, in).kind, Kind::ok);
}

// Deadlines: with a slack of 20ms, an acquire with a deadline at 500ms may
// return up to 520ms, by its own clock.
TEST(Liveness, ACallReturningByItsDeadlinePlusTheSlackIsOk) {
  HandHistory h;
  h.acquire_by(1, "k", 0, 500, 520);
  LivenessInput in = input(0, 3000);
  in.bounds.deadline_slack = 20ms;
  EXPECT_EQ(check_liveness(h.history, in).kind, Kind::ok);
}

TEST(Liveness, ACallReturningPastItsDeadlinePlusTheSlackIsADeadlineViolation) {
  HandHistory h;
  h.acquire_by(1, "k", 0, 300, 310, 1310);  // on time, and a grant
  const auto late = h.acquire_by(2, "k", 100, 500, 521);
  LivenessInput in = input(0, 3000);
  in.bounds.deadline_slack = 20ms;
  const std::vector<FaultNote> faults = {{ms(50), "pause m1"}};
  const Verdict v = check_liveness(h.history, in, faults);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "deadline");
  EXPECT_EQ(v.first->first.grant, late);  // the acquire, as a grant view
  EXPECT_FALSE(v.first->first.believed());
  EXPECT_EQ(v.first->at, ms(100));
  EXPECT_EQ(v.first->until, ms(521));
  EXPECT_EQ(v.first->faults, faults);
  EXPECT_THAT(v.summary, HasSubstr("acquire " + std::to_string(late)));
  EXPECT_THAT(v.summary, HasSubstr("returned 21ms after its deadline"));
  // Judged at any time, faults or not: the heal does not excuse it.
  in.last_heal = ms(2000);
  EXPECT_EQ(check_liveness(h.history, in).first->rule, "deadline");
}

// A call during which its process was paused, or its clock stepped, is not
// held to its deadline; another process's pause does not excuse it.
TEST(Liveness, AnInterruptedCallIsNotHeldToItsDeadline) {
  HandHistory h;
  h.acquire_by(2, "k", 100, 500, 900);
  LivenessInput in = input(0, 3000);
  in.interruptions = {{.process = history::ProcessId{1}, .from = ms(200), .to = ms(800)}};
  EXPECT_EQ(check_liveness(h.history, in).kind, Kind::violation);
  in.interruptions = {{.process = history::ProcessId{2}, .from = ms(200), .to = ms(800)}};
  EXPECT_EQ(check_liveness(h.history, in).kind, Kind::ok);
  in.interruptions = {{.process = history::ProcessId{2}, .from = ms(400), .to = ms(400)}};  // a clock step
  EXPECT_EQ(check_liveness(h.history, in).kind, Kind::ok);
  in.interruptions = {{.process = history::ProcessId{2}, .from = ms(901), .to = ms(1000)}};  // after it
  EXPECT_EQ(check_liveness(h.history, in).kind, Kind::violation);
}

// A grant whose belief cannot be placed on the time line leaves liveness
// undecided.
TEST(Liveness, GrantWithoutValidityEndIsUnknown) {
  HandHistory h;
  h.acquire(1, "k", 0, 10, OpStatus::ok);
  const Verdict v = check_liveness(h.history, input(0, 3000));
  EXPECT_EQ(v.kind, Kind::unknown) << v.summary;
  EXPECT_THAT(v.summary, HasSubstr("without a validity end"));
}

}  // namespace
}  // namespace locklab::properties
