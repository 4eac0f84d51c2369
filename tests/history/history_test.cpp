// The history as a value (ids, completion, validity ends moved after the
// run) and its file formats: the lock token in JSON Lines (and older files
// without it), and the Jepsen-style EDN export, checked to the character.
// Linked without the simulator: the history needs none.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "locklab/history/edn.hpp"
#include "locklab/history/history.hpp"

namespace locklab::history {
namespace {

using namespace std::chrono_literals;

Operation op(std::uint64_t id, std::uint32_t client, std::string key, OpKind kind,
             std::uint64_t grant, Duration invoked, OpStatus status, Duration completed,
             std::string outcome) {
  Operation o;
  o.id = id;
  o.client = ProcessId{client};
  o.client_name = fmt::format("c{}", client);
  o.key = std::move(key);
  o.kind = kind;
  o.grant = grant;
  o.invoked_true = true_time(invoked);
  o.invoked_local = local_time(invoked);
  o.status = status;
  if (status != OpStatus::pending) {
    o.completed_true = true_time(completed);
    o.completed_local = local_time(completed);
  }
  o.outcome = std::move(outcome);
  return o;
}

// A grant, a refused rival, a write, a release cut short by a crash (still
// pending) and an indeterminate acquire on a key that needs escaping.
History story() {
  History h;
  Operation acquire = op(1, 1, "k", OpKind::acquire, 1, 1ms, OpStatus::ok, 3ms, "acquired");
  acquire.fencing_token = 7;
  acquire.lock_token = "ab12";
  acquire.validity_end_true = true_time(1s);
  acquire.validity_end_local = local_time(1s);
  acquire.deadline_local = local_time(2001ms);
  h.append(acquire);
  h.append(op(2, 2, "k", OpKind::acquire, 0, 2ms, OpStatus::fail, 4ms, "busy"));
  Operation write = op(3, 1, "k", OpKind::write, 1, 3ms, OpStatus::ok, 5ms, "accepted");
  write.fencing_token = 7;
  h.append(write);
  h.append(op(4, 1, "k", OpKind::release, 1, 6ms, OpStatus::pending, 0ms, ""));
  h.append(op(5, 3, "q\"x", OpKind::acquire, 0, 7ms, OpStatus::info, 9ms, "indeterminate"));
  return h;
}

// An op appended without an id gets the next free one; completing an acquire
// ok makes it its own grant and keeps what the recorder measured; a validity
// end can be moved in true time afterwards (a clock jump after completion).
TEST(HistoryValue, CompletionAndValidityEndsAreRecordedAsGiven) {
  History h;
  h.append(op(5, 1, "k", OpKind::acquire, 0, 1ms, OpStatus::pending, 0ms, ""));
  const std::uint64_t id =
      h.append(op(0, 2, "k", OpKind::acquire, 0, 2ms, OpStatus::pending, 0ms, ""));
  EXPECT_EQ(id, 6u);
  h.complete(id, {.status = OpStatus::ok,
                  .completed_true = true_time(4ms),
                  .completed_local = local_time(3ms),
                  .outcome = "acquired",
                  .fencing_token = 9,
                  .lock_token = "cd34",
                  .validity_end_local = local_time(1s),
                  .validity_end_true = true_time(1001ms)});
  const Operation& done = h.at(id);
  EXPECT_EQ(done.status, OpStatus::ok);
  EXPECT_EQ(done.grant, id);
  EXPECT_EQ(done.completed_true, true_time(4ms));
  EXPECT_EQ(done.completed_local, local_time(3ms));
  EXPECT_EQ(done.fencing_token, std::optional<std::uint64_t>(9));
  EXPECT_EQ(done.lock_token, std::optional<std::string>("cd34"));
  EXPECT_EQ(done.validity_end_true, std::optional<TrueTime>(true_time(1001ms)));
  h.set_validity_end_true(id, true_time(700ms));
  EXPECT_EQ(h.at(id).validity_end_true, std::optional<TrueTime>(true_time(700ms)));
  EXPECT_EQ(h.at(5).status, OpStatus::pending);

  h.complete(5, {.status = OpStatus::fail, .completed_true = true_time(2ms), .outcome = "busy"});
  EXPECT_EQ(h.at(5).grant, 0u);  // a refused acquire grants nothing
  EXPECT_EQ(h.at(5).validity_end_true, std::nullopt);
}

// The lock token survives JSON Lines, and a line written before lock tokens
// were recorded still loads, without one.
TEST(HistoryFormats, LockTokenRoundTripsAndOlderLinesLoadWithoutIt) {
  const History h = story();
  const std::string text = h.to_jsonl();
  EXPECT_NE(text.find("\"lock_token\":\"ab12\""), std::string::npos) << text;
  const History back = History::from_jsonl(text);
  EXPECT_EQ(back, h);
  EXPECT_EQ(back.at(1).lock_token, std::optional<std::string>("ab12"));
  EXPECT_EQ(back.at(2).lock_token, std::nullopt);
  // A call's deadline too; an op without one (and an older line) has none.
  EXPECT_NE(text.find("\"deadline_local_ns\":2001000000"), std::string::npos) << text;
  EXPECT_EQ(back.at(1).deadline_local, std::optional<LocalTime>(local_time(2001ms)));
  EXPECT_EQ(back.at(2).deadline_local, std::nullopt);

  const std::string old_line =
      R"({"id":1,"client":1,"client_name":"c1","key":"k","kind":"acquire","grant":1,)"
      R"("invoked_true_ns":0,"invoked_local_ns":0,"status":"ok","completed_true_ns":5,)"
      R"("completed_local_ns":5,"outcome":"acquired","fencing_token":3})";
  const History old = History::from_jsonl(old_line);
  EXPECT_EQ(old.at(1).lock_token, std::nullopt);
  EXPECT_EQ(old.at(1).deadline_local, std::nullopt);
  EXPECT_EQ(old.at(1).fencing_token, std::optional<std::uint64_t>(3));
}

// Jepsen's shape: an invoke map and one completion map per op, in true-time
// order (ties by op id, an op's invoke before its completion); the pending
// release has only its invoke; fail and info carry the outcome as :error.
TEST(HistoryFormats, EdnExportIsJepsenShaped) {
  const std::string expected =
      "{:type :invoke, :f :acquire, :process 1, :time 1000000, :key \"k\", :value nil}\n"
      "{:type :invoke, :f :acquire, :process 2, :time 2000000, :key \"k\", :value nil}\n"
      "{:type :ok, :f :acquire, :process 1, :time 3000000, :key \"k\", :value {:grant 1, "
      ":fencing-token 7, :lock-token \"ab12\"}}\n"
      "{:type :invoke, :f :write, :process 1, :time 3000000, :key \"k\", :value 1}\n"
      "{:type :fail, :f :acquire, :process 2, :time 4000000, :key \"k\", :value nil, "
      ":error \"busy\"}\n"
      "{:type :ok, :f :write, :process 1, :time 5000000, :key \"k\", :value {:grant 1, "
      ":fencing-token 7}}\n"
      "{:type :invoke, :f :release, :process 1, :time 6000000, :key \"k\", :value 1}\n"
      "{:type :invoke, :f :acquire, :process 3, :time 7000000, :key \"q\\\"x\", :value nil}\n"
      "{:type :info, :f :acquire, :process 3, :time 9000000, :key \"q\\\"x\", :value nil, "
      ":error \"indeterminate\"}\n";
  EXPECT_EQ(to_edn(story()), expected);
}

// Keys are bytes: control characters and backslashes are escaped so a
// Clojure reader gets the same string back; an op of no process is nil.
TEST(HistoryFormats, EdnEscapesKeysAndNamesNoProcessNil) {
  History h;
  Operation o = op(1, 0, std::string("a\\b\n\x01", 5), OpKind::acquire, 0, 0ms, OpStatus::pending,
                   0ms, "");
  o.client = kNoProcess;
  h.append(o);
  EXPECT_EQ(to_edn(h),
            "{:type :invoke, :f :acquire, :process nil, :time 0, :key \"a\\\\b\\n\\u0001\", "
            ":value nil}\n");
}

}  // namespace
}  // namespace locklab::history
