// Mutual exclusion over hand-written histories: each test is a short story of
// who acquired, extended and released what, and when (true time, ms), and the
// verdict the checker must reach, with the intervals it must report.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "hand_history.hpp"
#include "locklab/properties/mutual_exclusion.hpp"

namespace locklab::properties {
namespace {

using ::testing::HasSubstr;
using testing::HandHistory;
using testing::ms;
using Kind = Verdict::Kind;
using history::OpStatus;

// Two clients taking turns, each releasing before the other acquires: the
// ordinary, correct run. The checker must say ok, or it is useless.
TEST(MutualExclusion, ClientsTakingTurnsIsOk) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  h.release(g1, 400, 410);
  const auto g2 = h.acquire(2, "k", 300, 450, OpStatus::ok, 1450);
  h.release(g2, 900, 910);
  const Verdict v = check_mutual_exclusion(h.history);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  EXPECT_EQ(v.checker, "mutual_exclusion");
  EXPECT_FALSE(v.first);
}

// Two waiters of one lock manager (one process, two holders) both believe
// they hold the key during [300ms, 500ms): a manager bug, caught as a
// violation; the same process's grants in turn are fine.
TEST(MutualExclusion, TwoHoldersInsideOneProcessAtOnceAreAViolation) {
  HandHistory h;
  const auto w1 = h.acquire_as(1, "c1/w1", "k", 0, 10, 1000);
  h.release(w1, 500, 510);
  const auto w2 = h.acquire_as(1, "c1/w2", "k", 200, 300, 1300);
  const Verdict v = check_mutual_exclusion(h.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_THAT(v.summary, HasSubstr("two holders in one process believe they hold it during [300ms, 500ms)"));
  EXPECT_EQ(v.first->first.client_name, "c1/w1");
  EXPECT_EQ(v.first->second.grant, w2);

  HandHistory turns;
  const auto t1 = turns.acquire_as(1, "c1/w1", "k", 0, 10, 1000);
  turns.release(t1, 200, 210);
  turns.acquire_as(1, "c1/w2", "k", 200, 300, 1300);
  EXPECT_EQ(check_mutual_exclusion(turns.history).kind, Kind::ok);
}

// The holder never releases and its validity runs to 1010ms; a second client
// acquires at 500ms. Both believe during [500ms, 1010ms). The report carries
// both intervals and the fault that explains it (a pause at 400ms), but not a
// fault far outside the window.
TEST(MutualExclusion, OverlapIsReportedWithBothIntervalsAndNearbyFaults) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
  const auto g2 = h.acquire(2, "k", 450, 500, OpStatus::ok, 1500);
  const std::vector<FaultNote> faults = {{ms(400), "pause c1"}, {ms(900), "resume c1"},
                                         {ms(5000), "kill c2"}};
  const Verdict v = check_mutual_exclusion(h.history, faults);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  ASSERT_TRUE(v.first);
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_EQ(v.first->first.client_name, "c1");
  EXPECT_EQ(v.first->first.belief_start, ms(10));
  EXPECT_EQ(v.first->first.belief_end, ms(1010));
  EXPECT_EQ(v.first->first.belief_ended_by, "validity end");
  EXPECT_EQ(v.first->second.grant, g2);
  EXPECT_EQ(v.first->second.belief_start, ms(500));
  EXPECT_EQ(v.first->second.belief_end, ms(1500));
  EXPECT_EQ(v.first->at, ms(500));
  EXPECT_EQ(v.first->until, ms(1010));
  EXPECT_EQ(v.first->window_start, ms(0));     // 0ms - 1s, clamped
  EXPECT_EQ(v.first->window_end, ms(2010));    // 1010ms + 1s
  EXPECT_EQ(v.first->faults, (std::vector<FaultNote>{{ms(400), "pause c1"}, {ms(900), "resume c1"}}));
  EXPECT_THAT(v.summary, HasSubstr("[500ms, 1.01s)"));
  EXPECT_THAT(v.summary, HasSubstr("400ms pause c1"));
  EXPECT_THAT(v.summary, ::testing::Not(HasSubstr("kill c2")));
}

// Half-open intervals: the first belief ends at 1000ms exactly when the
// second begins. That is a hand-over, not an overlap.
TEST(MutualExclusion, TouchingIntervalsDoNotOverlap) {
  HandHistory h;
  h.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  h.acquire(2, "k", 900, 1000, OpStatus::ok, 2000);
  EXPECT_EQ(check_mutual_exclusion(h.history).kind, Kind::ok);
}

// Belief ends when the holder *invokes* release: from then on it no longer
// acts as the holder, whatever the release's outcome. A second client that
// acquires while the release is still in flight is therefore fine, even when
// the release then times out.
TEST(MutualExclusion, ReleaseInvocationEndsBelief) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 5000);
  h.release(g1, 400, 600, OpStatus::info);
  h.acquire(2, "k", 380, 405, OpStatus::ok, 1405);
  const Verdict v = check_mutual_exclusion(h.history);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  const auto grants = grants_of(h.history);
  EXPECT_EQ(grants.at(g1).belief_end, ms(400));
  EXPECT_EQ(grants.at(g1).belief_ended_by, "release 2");
}

// An ok extend moves the end of belief to its own validity end, so a second
// client acquiring after the original validity but before the extended one
// overlaps; without the extend the same history is fine.
TEST(MutualExclusion, OkExtendMovesTheEndOfBelief) {
  HandHistory without;
  without.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  without.acquire(2, "k", 1400, 1500, OpStatus::ok, 2500);
  EXPECT_EQ(check_mutual_exclusion(without.history).kind, Kind::ok);

  HandHistory with;
  const auto g1 = with.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  const auto e = with.extend(g1, 800, 900, OpStatus::ok, 1900);
  with.acquire(2, "k", 1400, 1500, OpStatus::ok, 2500);
  const Verdict v = check_mutual_exclusion(with.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->first.belief_end, ms(1900));
  EXPECT_EQ(v.first->first.belief_ended_by, "validity end (moved by extend " + std::to_string(e) + ")");
  EXPECT_EQ(v.first->until, ms(1900));
  EXPECT_EQ(v.first->first.ops, (std::vector<std::uint64_t>{g1, e}));
}

// An extend that times out (info) may or may not have extended: the holder
// cannot count on it, so belief keeps the old end. One that fails ends belief
// at once, when the holder learns it lost the lock.
TEST(MutualExclusion, InfoExtendKeepsTheEndAndFailedExtendEndsBelief) {
  HandHistory info;
  const auto g1 = info.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  info.extend(g1, 800, 900, OpStatus::info, 1900);
  info.acquire(2, "k", 1400, 1500, OpStatus::ok, 2500);
  EXPECT_EQ(check_mutual_exclusion(info.history).kind, Kind::ok);
  EXPECT_EQ(grants_of(info.history).at(g1).belief_end, ms(1000));

  HandHistory failed;
  const auto f1 = failed.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  const auto e = failed.extend(f1, 600, 700, OpStatus::fail);
  failed.acquire(2, "k", 650, 800, OpStatus::ok, 1800);
  EXPECT_EQ(check_mutual_exclusion(failed.history).kind, Kind::ok);
  EXPECT_EQ(grants_of(failed.history).at(f1).belief_end, ms(700));
  EXPECT_EQ(grants_of(failed.history).at(f1).belief_ended_by,
            "extend " + std::to_string(e) + " failed");
}

// An acquire that timed out (info) may hold the lock on the servers, but its
// client does not believe it does; one that never completed (the process
// died) neither. Neither gives belief, so neither can violate mutual
// exclusion (resource safety still counts their writes).
TEST(MutualExclusion, InfoAndPendingAcquiresGiveNoBelief) {
  HandHistory h;
  h.acquire(1, "k", 0, 100, OpStatus::info, 1000);
  h.acquire(3, "k", 0, 0, OpStatus::pending);
  h.acquire(2, "k", 50, 60, OpStatus::ok, 1060);
  const Verdict v = check_mutual_exclusion(h.history);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  EXPECT_THAT(describe_belief(grants_of(h.history).at(1)), HasSubstr("no belief (acquire info)"));
}

// A successful acquire recorded without the true time of its validity end
// cannot be placed on the time line: the checker says unknown, and why.
TEST(MutualExclusion, AcquireOkWithoutValidityEndIsUnknown) {
  HandHistory h;
  h.acquire(1, "k", 0, 10, OpStatus::ok);
  h.acquire(2, "k", 2000, 2010, OpStatus::ok, 3000);
  const Verdict v = check_mutual_exclusion(h.history);
  EXPECT_EQ(v.kind, Kind::unknown);
  EXPECT_THAT(v.summary, HasSubstr("acquire 1 completed ok without a validity end"));
}

// A definite overlap between two known intervals is a violation even if
// another grant's interval is unknown.
TEST(MutualExclusion, CertainViolationOutranksUnknown) {
  HandHistory h;
  h.acquire(3, "k", 0, 5, OpStatus::ok);
  h.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  h.acquire(2, "k", 100, 200, OpStatus::ok, 1200);
  EXPECT_EQ(check_mutual_exclusion(h.history).kind, Kind::violation);
}

// Different keys are different locks; and two grants of one client are not
// two clients (see mutual_exclusion.hpp).
TEST(MutualExclusion, DifferentKeysAndOneClientDoNotConflict) {
  HandHistory h;
  h.acquire(1, "a", 0, 10, OpStatus::ok, 1000);
  h.acquire(2, "b", 0, 10, OpStatus::ok, 1000);
  h.acquire(1, "a", 100, 110, OpStatus::ok, 1100);
  EXPECT_EQ(check_mutual_exclusion(h.history).kind, Kind::ok);
}

// With several violations, the first is the overlap that starts earliest in
// true time, whichever key or order of operations.
TEST(MutualExclusion, FirstViolationIsTheEarliestOverlap) {
  HandHistory h;
  h.acquire(1, "b", 0, 10, OpStatus::ok, 1000);
  h.acquire(2, "b", 600, 700, OpStatus::ok, 1700);  // overlap on b from 700ms
  h.acquire(3, "a", 0, 10, OpStatus::ok, 1000);
  const auto late = h.acquire(4, "a", 200, 300, OpStatus::ok, 1300);  // on a from 300ms
  const Verdict v = check_mutual_exclusion(h.history);
  ASSERT_EQ(v.kind, Kind::violation);
  EXPECT_EQ(v.first->first.key, "a");
  EXPECT_EQ(v.first->second.grant, late);
  EXPECT_EQ(v.first->at, ms(300));
}

// A validity that ends before the acquire completed (a slow attempt the lock
// still reported ok) gives an empty interval: no belief, no overlap.
TEST(MutualExclusion, ValidityEndingBeforeCompletionGivesNoBelief) {
  HandHistory h;
  const auto g = h.acquire(1, "k", 0, 500, OpStatus::ok, 400);
  h.acquire(2, "k", 450, 460, OpStatus::ok, 1460);
  EXPECT_EQ(check_mutual_exclusion(h.history).kind, Kind::ok);
  EXPECT_FALSE(grants_of(h.history).at(g).believed());
}

// The checker reads the same verdict from a history written out and read
// back: what the explorer stores is what it checked.
TEST(MutualExclusion, VerdictSurvivesJsonLinesRoundTrip) {
  HandHistory h;
  h.acquire(1, "k", 0, 10, OpStatus::ok, 1010);
  h.acquire(2, "k", 450, 500, OpStatus::ok, 1500);
  const history::History back = history::History::from_jsonl(h.history.to_jsonl());
  EXPECT_EQ(back, h.history);
  EXPECT_EQ(check_mutual_exclusion(back), check_mutual_exclusion(h.history));
}

// The partner reported is the earliest-starting grant of another client still
// believed when the later grant starts: c1's first grant has ended by 5500ms,
// its second has not.
TEST(MutualExclusion, PartnerIsTheEarliestStillBelievedGrantOfAnotherClient) {
  HandHistory h;
  h.acquire(1, "k", 0, 10, OpStatus::ok, 5000);
  const auto g2 = h.acquire(1, "k", 90, 100, OpStatus::ok, 6000);
  const auto g3 = h.acquire(2, "k", 5400, 5500, OpStatus::ok, 7000);
  const Verdict v = check_mutual_exclusion(h.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->first.grant, g2);
  EXPECT_EQ(v.first->second.grant, g3);
  EXPECT_EQ(v.first->at, ms(5500));
  EXPECT_EQ(v.first->until, ms(6000));
}

// One client holding 20,000 overlapping grants of a key (a lock re-acquiring
// what it holds), then another client after all of them: no violation, and
// the sweep stays linear (it once compared each grant with every active one).
TEST(MutualExclusion, ManyOverlappingGrantsOfOneClientAreOk) {
  HandHistory h;
  for (int i = 0; i < 20'000; ++i) h.acquire(1, "k", i, i + 1, OpStatus::ok, 30'000);
  h.acquire(2, "k", 29'000, 30'000, OpStatus::ok, 31'000);
  EXPECT_EQ(check_mutual_exclusion(h.history).kind, Kind::ok);
  h.acquire(3, "k", 29'000, 29'999, OpStatus::ok, 31'000);
  EXPECT_EQ(check_mutual_exclusion(h.history).kind, Kind::violation);
}

}  // namespace
}  // namespace locklab::properties
