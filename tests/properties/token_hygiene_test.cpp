// Token hygiene over hand-written histories: fencing tokens must rise with
// each grant of a key (in order of the acquires' completion), a key is fenced
// for every grant or for none, and no lock token is handed out twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "hand_history.hpp"
#include "locklab/properties/token_hygiene.hpp"

namespace locklab::properties {
namespace {

using ::testing::HasSubstr;
using testing::HandHistory;
using testing::ms;
using Kind = Verdict::Kind;
using history::OpStatus;

// Grants of two keys, each key's fencing tokens rising (with a gap: a
// consumed token is fine), every lock token different.
TEST(TokenHygiene, RisingTokensAndDistinctLockTokensIsOk) {
  HandHistory h;
  h.acquire(1, "a", 0, 10, OpStatus::ok, 1000, 1, "t1");
  h.acquire(2, "b", 0, 10, OpStatus::ok, 1000, 1, "t2");
  h.acquire(2, "a", 1000, 1010, OpStatus::ok, 2000, 3, "t3");
  const Verdict v = check_token_hygiene(h.history);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  EXPECT_EQ(v.checker, "token_hygiene");
  EXPECT_THAT(v.summary, HasSubstr("3 grants"));
}

// The second grant of "a" repeats token 5: not strictly greater.
TEST(TokenHygiene, RepeatedFencingTokenIsViolation) {
  HandHistory h;
  const auto g1 = h.acquire(1, "a", 0, 10, OpStatus::ok, 500, 5, "t1");
  const auto g2 = h.acquire(2, "a", 590, 600, OpStatus::ok, 1600, 5, "t2");
  const std::vector<FaultNote> faults = {{ms(300), "partition c1"}};
  const Verdict v = check_token_hygiene(h.history, faults);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "fencing_order");
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_EQ(v.first->second.grant, g2);
  EXPECT_EQ(v.first->at, ms(10));
  EXPECT_EQ(v.first->until, ms(600));
  EXPECT_EQ(v.first->faults, faults);
  EXPECT_THAT(v.summary, HasSubstr("fencing token 5"));
}

// Order is by the acquires' completion, not their invocation: the acquire
// invoked first completed last, with the lower token.
TEST(TokenHygiene, GrantsAreOrderedByCompletion) {
  HandHistory h;
  const auto early = h.acquire(1, "a", 0, 500, OpStatus::ok, 1500, 7, "t1");
  const auto late = h.acquire(2, "a", 100, 400, OpStatus::ok, 1400, 8, "t2");
  const Verdict v = check_token_hygiene(h.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->first.grant, late);
  EXPECT_EQ(v.first->second.grant, early);
}

// A reply delayed past its lease carries an old token, but the client never
// believes that grant (its validity ended before the acquire returned): not
// judged for fencing.
TEST(TokenHygiene, GrantWithEmptyBeliefIsNotJudgedForFencing) {
  HandHistory h;
  h.acquire(1, "a", 0, 1500, OpStatus::ok, 1000, 1, "t1");
  h.acquire(2, "a", 1100, 1200, OpStatus::ok, 2200, 2, "t2");
  EXPECT_EQ(check_token_hygiene(h.history).kind, Kind::ok);
}

// A key whose grants are fenced except one: the unfenced holder writes
// unchecked. A key never fenced is fine.
TEST(TokenHygiene, FencedAndUnfencedGrantsOfOneKeyIsViolation) {
  HandHistory h;
  const auto g1 = h.acquire(1, "a", 0, 10, OpStatus::ok, 500, 1, "t1");
  const auto g2 = h.acquire(2, "a", 600, 610, OpStatus::ok, 1610, std::nullopt, "t2");
  const Verdict v = check_token_hygiene(h.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "fencing_missing");
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_EQ(v.first->second.grant, g2);

  HandHistory unfenced;
  unfenced.acquire(1, "a", 0, 10, OpStatus::ok, 500, std::nullopt, "t1");
  unfenced.acquire(2, "a", 600, 610, OpStatus::ok, 1610, std::nullopt, "t2");
  const Verdict u = check_token_hygiene(unfenced.history);
  EXPECT_EQ(u.kind, Kind::ok) << u.summary;
  EXPECT_THAT(u.summary, HasSubstr("(1 unfenced)"));
}

// The same lock token on grants of two different keys.
TEST(TokenHygiene, LockTokenRepeatedAcrossKeysIsViolation) {
  HandHistory h;
  const auto g1 = h.acquire(1, "a", 0, 10, OpStatus::ok, 500, std::nullopt, "dup");
  const auto g2 = h.acquire(2, "b", 200, 210, OpStatus::ok, 1210, std::nullopt, "dup");
  const Verdict v = check_token_hygiene(h.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "lock_token_repeat");
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_EQ(v.first->second.grant, g2);
  EXPECT_THAT(v.summary, HasSubstr("lock token \"dup\" handed out twice"));
}

// Info and pending acquires are not grants: whatever tokens a hand-written
// history gives them, they are not judged.
TEST(TokenHygiene, InfoAndPendingAcquiresAreNotGrants) {
  HandHistory h;
  h.acquire(1, "a", 0, 10, OpStatus::ok, 500, 5, "t1");
  h.acquire(2, "a", 100, 300, OpStatus::info, std::nullopt, 2, "t1");
  h.acquire(3, "a", 100, 0, OpStatus::pending, std::nullopt, 1, "t1");
  h.acquire(2, "a", 600, 610, OpStatus::ok, 1610, 6, "t2");
  const Verdict v = check_token_hygiene(h.history);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
}

// A history recorded before lock tokens were: repeats cannot be ruled out.
TEST(TokenHygiene, GrantWithoutLockTokenIsUnknown) {
  HandHistory h;
  const auto g = h.acquire(1, "a", 0, 10, OpStatus::ok, 500, 1);
  const Verdict v = check_token_hygiene(h.history);
  EXPECT_EQ(v.kind, Kind::unknown) << v.summary;
  EXPECT_THAT(v.summary, HasSubstr("grant " + std::to_string(g) + " (c1, key \"a\") has no lock token"));
}

// Of several violations, the one whose later grant completed first: the lock
// token repeat (certain at 300ms) before the fencing disorder (at 900ms).
TEST(TokenHygiene, FirstViolationIsTheEarliestCertain) {
  HandHistory h;
  h.acquire(1, "a", 0, 10, OpStatus::ok, 200, 5, "t1");
  h.acquire(2, "a", 800, 900, OpStatus::ok, 1900, 4, "t2");
  h.acquire(3, "b", 250, 300, OpStatus::ok, 1300, std::nullopt, "t1");
  const Verdict v = check_token_hygiene(h.history);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->rule, "lock_token_repeat");
  EXPECT_EQ(v.first->until, ms(300));
}

}  // namespace
}  // namespace locklab::properties
