// Resource safety over hand-written histories and storage logs: grants are
// ordered by when their acquire completed; the storage must never show an
// accepted write from an earlier grant after one from a later grant. Each
// test tells who held what (true time, ms) and what the storage accepted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "hand_history.hpp"
#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"

namespace locklab::properties {
namespace {

using ::testing::HasSubstr;
using testing::HandHistory;
using testing::logged;
using testing::ms;
using Kind = Verdict::Kind;
using history::OpStatus;

// Holders taking turns, each writing (several times) while it holds: the
// writes come in grant order, so the resource is safe.
TEST(ResourceSafety, WritesInGrantOrderAreSafe) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1000, 1);
  h.release(g1, 400, 410);
  const auto g2 = h.acquire(2, "k", 300, 450, OpStatus::ok, 1450, 2);
  history::StorageLog log;
  log.append(logged(1, g1, 1, 100));
  log.append(logged(1, g1, 1, 200));
  log.append(logged(2, g2, 2, 500));
  log.append(logged(2, g2, 2, 600));
  const Verdict v = check_resource_safety(h.history, log);
  EXPECT_EQ(v.kind, Kind::ok) << v.summary;
  EXPECT_EQ(v.checker, "resource_safety");
}

// The classic: client 1's lease ran out while it was paused; client 2
// acquired and wrote; then client 1 woke and wrote with its old grant. By
// belief there was no overlap (client 1's validity ended at 1000ms, before
// client 2 acquired), so mutual exclusion holds — and resource safety is what
// catches the stale write, with both grants, both writes and the pause.
TEST(ResourceSafety, PausedHoldersStaleWriteIsCaughtWhereMutualExclusionHolds) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1000, 1);
  const auto g2 = h.acquire(2, "k", 1050, 1100, OpStatus::ok, 2100, 2);
  h.write(g2, 1150, 1200, 2);
  h.write(g1, 50, 1400, 1);
  history::StorageLog log;
  log.append(logged(1, g1, 1, 40));
  log.append(logged(2, g2, 2, 1200));
  log.append(logged(1, g1, 1, 1300));
  const std::vector<FaultNote> faults = {{ms(60), "pause c1"}, {ms(1290), "resume c1"}};

  EXPECT_EQ(check_mutual_exclusion(h.history, faults).kind, Kind::ok);
  const Verdict v = check_resource_safety(h.history, log, faults);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  ASSERT_TRUE(v.first);
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_EQ(v.first->first.belief_start, ms(10));
  EXPECT_EQ(v.first->first.belief_end, ms(1000));
  EXPECT_EQ(v.first->second.grant, g2);
  EXPECT_EQ(v.first->second.belief_start, ms(1100));
  ASSERT_EQ(v.first->writes.size(), 2u);
  EXPECT_EQ(v.first->writes[0].index, 1u);
  EXPECT_EQ(v.first->writes[0].write.fencing_token, 2u);
  EXPECT_EQ(v.first->writes[1].index, 2u);
  EXPECT_EQ(v.first->writes[1].write.applied_true, ms(1300));
  EXPECT_EQ(v.first->at, ms(1200));
  EXPECT_EQ(v.first->until, ms(1300));
  EXPECT_EQ(v.first->faults, faults);
  EXPECT_THAT(v.summary, HasSubstr("write #2 of grant 1 (c1, token 1) at 1.3s"));
  EXPECT_THAT(v.summary, HasSubstr("write #1 of the later grant 2 (c2, token 2) at 1.2s"));
  EXPECT_THAT(v.summary, HasSubstr("believed [10ms, 1s)"));
  EXPECT_THAT(v.summary, HasSubstr("1.29s resume c1"));
}

// With fencing on, the storage rejected the stale write; a rejected write
// changes nothing, so the same story is safe.
TEST(ResourceSafety, RejectedStaleWriteIsSafe) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1000, 1);
  const auto g2 = h.acquire(2, "k", 1050, 1100, OpStatus::ok, 2100, 2);
  history::StorageLog log;
  log.append(logged(2, g2, 2, 1200));
  log.append(logged(1, g1, 1, 1300, /*accepted=*/false));
  EXPECT_EQ(check_resource_safety(h.history, log).kind, Kind::ok);
}

// An acquire that timed out may have succeeded on the servers, and its
// client may write anyway (a bug, or a lock that returns indeterminate as
// taken): the write still counts, ordered by when that acquire completed.
TEST(ResourceSafety, InfoAcquiresWritesStillCount) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 100, OpStatus::info);
  const auto g2 = h.acquire(2, "k", 150, 200, OpStatus::ok, 1200, 2);
  history::StorageLog log;
  log.append(logged(2, g2, 2, 300));
  log.append(logged(1, g1, {}, 400));
  const Verdict v = check_resource_safety(h.history, log);
  ASSERT_EQ(v.kind, Kind::violation) << v.summary;
  EXPECT_EQ(v.first->first.grant, g1);
  EXPECT_THAT(v.summary, HasSubstr("no belief (acquire info)"));
  EXPECT_THAT(v.summary, HasSubstr("no token"));
}

// Grants whose acquires completed at the same true time are ordered by op id.
TEST(ResourceSafety, GrantsCompletingTogetherAreOrderedById) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 100, OpStatus::ok, 1000);
  const auto g2 = h.acquire(2, "k", 0, 100, OpStatus::ok, 1000);
  history::StorageLog in_order;
  in_order.append(logged(1, g1, {}, 200));
  in_order.append(logged(2, g2, {}, 300));
  EXPECT_EQ(check_resource_safety(h.history, in_order).kind, Kind::ok);
  history::StorageLog reversed;
  reversed.append(logged(2, g2, {}, 200));
  reversed.append(logged(1, g1, {}, 300));
  EXPECT_EQ(check_resource_safety(h.history, reversed).kind, Kind::violation);
}

// Each key is its own lock: writes under grants of different keys are not
// compared with each other.
TEST(ResourceSafety, KeysAreCheckedSeparately) {
  HandHistory h;
  const auto a = h.acquire(1, "a", 0, 10, OpStatus::ok, 1000);
  const auto b = h.acquire(2, "b", 20, 30, OpStatus::ok, 1030);
  history::StorageLog log;
  log.append(logged(2, b, {}, 100));
  log.append(logged(1, a, {}, 200));
  EXPECT_EQ(check_resource_safety(h.history, log).kind, Kind::ok);
}

// A write the history cannot place — no grant, a grant it has no acquire
// for, an acquire that never completed — makes the verdict unknown, unless a
// certain violation is found elsewhere in the log.
TEST(ResourceSafety, WritesOfUnknownGrantsGiveUnknown) {
  HandHistory h;
  const auto g1 = h.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  const auto dead = h.acquire(3, "k", 20, 0, OpStatus::pending);
  const auto g2 = h.acquire(2, "k", 1050, 1100, OpStatus::ok, 2100);
  for (const auto& [grant, words] :
       std::vector<std::pair<std::uint64_t, std::string>>{{0, "names no grant"},
                                                          {42, "has no acquire for"},
                                                          {dead, "never completed"}}) {
    history::StorageLog log;
    log.append(logged(1, g1, {}, 100));
    log.append(logged(3, grant, {}, 150));
    const Verdict v = check_resource_safety(h.history, log);
    EXPECT_EQ(v.kind, Kind::unknown) << grant;
    EXPECT_THAT(v.summary, HasSubstr(words));
    log.append(logged(2, g2, {}, 1200));
    log.append(logged(1, g1, {}, 1300));
    EXPECT_EQ(check_resource_safety(h.history, log).kind, Kind::violation) << grant;
  }
}

// An empty log is safe, whatever the history.
TEST(ResourceSafety, EmptyLogIsSafe) {
  HandHistory h;
  h.acquire(1, "k", 0, 10, OpStatus::ok, 1000);
  EXPECT_EQ(check_resource_safety(h.history, history::StorageLog{}).kind, Kind::ok);
}

}  // namespace
}  // namespace locklab::properties
