// Every checker on a large generated valid history (100k operations; the
// benchmark runs 1M): each must say ok and finish — the checkers are O(n log n),
// so this is quick even under AddressSanitizer. No timing is asserted.
#include <gtest/gtest.h>

#include "generated_history.hpp"
#include "locklab/properties/liveness.hpp"
#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"
#include "locklab/properties/token_hygiene.hpp"

namespace locklab::properties {
namespace {

using namespace std::chrono_literals;
using Kind = Verdict::Kind;

TEST(CheckerScale, HundredThousandOperationValidHistoryIsOkForEveryChecker) {
  const testing::GeneratedRun run = testing::generated_run(100'000);
  ASSERT_EQ(run.history.operations().size(), 100'000u);
  const LivenessInput in{.bounds = {.ttl = 1s, .drift_allowance = 10ms, .retry_delay_max = 5ms,
                                    .attempt_max = 1ms, .think_max = 1ms},
                         .run_end = run.end};
  const Verdict me = check_mutual_exclusion(run.history);
  EXPECT_EQ(me.kind, Kind::ok) << me.summary;
  const Verdict rs = check_resource_safety(run.history, run.log);
  EXPECT_EQ(rs.kind, Kind::ok) << rs.summary;
  const Verdict lv = check_liveness(run.history, in);
  EXPECT_EQ(lv.kind, Kind::ok) << lv.summary;
  const Verdict th = check_token_hygiene(run.history);
  EXPECT_EQ(th.kind, Kind::ok) << th.summary;
}

// The generated history is not trivially valid: breaking one fencing token
// and one belief is caught (the checkers do look at every grant).
TEST(CheckerScale, OneBrokenGrantInTheLargeHistoryIsFound) {
  testing::GeneratedRun run = testing::generated_run(100'000);
  history::History broken;
  for (history::Operation op : run.history.operations()) {
    if (op.id == 40'001 && op.kind == history::OpKind::acquire) {
      op.fencing_token = 1;                          // far below its key's tokens by then
      op.validity_end_true = *op.validity_end_true + 20ms;  // and it ignores its release
    }
    broken.append(std::move(op));
  }
  ASSERT_EQ(broken.at(40'001).kind, history::OpKind::acquire);
  EXPECT_EQ(check_token_hygiene(broken).kind, Kind::violation);
  EXPECT_EQ(check_mutual_exclusion(broken).kind, Kind::ok);  // release still ends belief
}

}  // namespace
}  // namespace locklab::properties
