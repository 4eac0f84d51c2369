// The protected resource and the history, in running worlds: a storage
// service and two clients that "hold" a grant by writing it into the history
// themselves (no lock is needed to tell these stories). Every test checks
// what the storage logged, at which true time, and what the checkers conclude.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "locklab/properties/mutual_exclusion.hpp"
#include "locklab/properties/resource_safety.hpp"
#include "locklab/sim/history_recorder.hpp"
#include "locklab/sim/storage.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = properties::Verdict::Kind;

TrueTime at_ms(std::int64_t n) { return true_time(std::chrono::milliseconds(n)); }

// Acquires "k" in the history only (as if a lock had granted it), valid for
// `validity` on this client's clock. Returns the grant.
std::uint64_t pretend_acquire(History& h, Process& p, Duration validity, std::uint64_t token) {
  const std::uint64_t id = record_invoke(h, p, OpKind::acquire, "k");
  record_complete(h, id, p, OpStatus::ok, "acquired", token, p.now() + validity);
  return id;
}

// A write through the storage client, recorded in the history as Jepsen
// would: accepted ok, rejected fail, a network error info (it may be applied).
std::string recorded_write(History& h, Process& p, StorageClient& storage, std::uint64_t grant,
                           std::optional<std::uint64_t> token, std::string payload) {
  const std::uint64_t id = record_invoke(h, p, OpKind::write, "k", grant);
  const SimResult<WriteResult> r = storage.write(grant, token, std::move(payload), p.now() + 50ms);
  const std::string words = r ? std::string(name_of(*r)) : std::string(name_of(r.error()));
  const OpStatus status = !r ? OpStatus::info
                          : *r == WriteResult::accepted ? OpStatus::ok
                                                        : OpStatus::fail;
  record_complete(h, id, p, status, words, token);
  return words;
}

std::vector<std::string> accepted_flags(const StorageLog& log) {
  std::vector<std::string> out;
  for (const StorageWrite& w : log.writes()) {
    out.push_back(w.writer_name + " " + std::to_string(w.grant) + " " +
                  (w.fencing_token ? std::to_string(*w.fencing_token) : "-") + " " +
                  (w.accepted ? "accepted" : "rejected") + " @" +
                  format_duration(w.applied_true.time_since_epoch()));
  }
  return out;
}

// Client 2 holds the newer grant (token 2) and writes first; client 1 writes
// afterwards with token 1. Fenced, the storage rejects token 1, accepts a
// repeated token 2 (one holder writes many times) and rejects a write that
// carries no token at all. Unfenced, it accepts all four.
void run_token_story(bool fenced, std::vector<std::string>& results, StorageLog& log_out) {
  auto log = std::make_shared<StorageLog>();
  History h;
  World world({.seed = 3, .latency = FixedLatency{1ms}});
  const ProcessId store = world.add_process(storage_service("storage", {.fenced = fenced}, log));
  world.add_process({.name = "c1", .main = [&](Process& p) {
                       StorageClient s(p, store);
                       ASSERT_TRUE(p.sleep_for(20ms));
                       results.push_back("c1 " + recorded_write(h, p, s, 1, 1, "one"));
                       results.push_back("c1 " + recorded_write(h, p, s, 1, {}, "none"));
                     }});
  world.add_process({.name = "c2", .main = [&](Process& p) {
                       StorageClient s(p, store);
                       results.push_back("c2 " + recorded_write(h, p, s, 2, 2, "two"));
                       ASSERT_TRUE(p.sleep_for(40ms));
                       results.push_back("c2 " + recorded_write(h, p, s, 2, 2, "two again"));
                     }});
  EXPECT_EQ(world.run().status, RunStatus::idle);  // the storage waits for clients forever
  log_out = *log;
}

TEST(Storage, FencedRejectsALowerTokenAndAcceptsAnEqualOne) {
  std::vector<std::string> results;
  StorageLog log;
  run_token_story(true, results, log);
  EXPECT_THAT(results, ElementsAre("c2 accepted", "c1 rejected_stale", "c1 rejected_stale",
                                   "c2 accepted"));
  // Connect takes a round trip (2ms), each message 1ms.
  EXPECT_THAT(accepted_flags(log),
              ElementsAre("c2 2 2 accepted @3ms", "c1 1 1 rejected @23ms", "c1 1 - rejected @25ms",
                          "c2 2 2 accepted @45ms"));
  EXPECT_EQ(log.highest_accepted_token(), 2u);
  EXPECT_EQ(log.writes()[3].payload, "two again");
}

TEST(Storage, UnfencedAcceptsEveryWrite) {
  std::vector<std::string> results;
  StorageLog log;
  run_token_story(false, results, log);
  EXPECT_THAT(results, ElementsAre("c2 accepted", "c1 accepted", "c1 accepted", "c2 accepted"));
  EXPECT_THAT(accepted_flags(log),
              ElementsAre("c2 2 2 accepted @3ms", "c1 1 1 accepted @23ms", "c1 1 - accepted @25ms",
                          "c2 2 2 accepted @45ms"));
}

// The paused holder. Client 1 acquires at 0 with 100ms of validity, means to
// write 10ms later, but is paused from 5ms to 2s. Client 2 acquires at 1s
// (client 1's validity long over) and writes. Client 1 resumes at 2s, still
// thinking it is about to write under its grant, and sends: the write reaches
// the storage at 2.003s (connect round trip, then the message). By belief,
// nobody overlapped; only the order of writes at the resource shows the harm.
struct PausedStory {
  History history;
  std::shared_ptr<StorageLog> log = std::make_shared<StorageLog>();
  std::vector<FaultNote> faults;
  std::string c1_result;
};

void run_paused_story(bool fenced, PausedStory& story) {
  World world({.seed = 5, .latency = FixedLatency{1ms}});
  const ProcessId store =
      world.add_process(storage_service("storage", {.fenced = fenced}, story.log));
  History& h = story.history;
  const ProcessId c1 = world.add_process(
      {.name = "c1", .clock = {.offset = 3ms, .drift_ppm = 200}, .main = [&](Process& p) {
         StorageClient s(p, store);
         const std::uint64_t grant = pretend_acquire(h, p, 100ms, 1);
         ASSERT_TRUE(p.sleep_for(10ms));
         story.c1_result = recorded_write(h, p, s, grant, 1, std::string("stale\0\xff", 7));
       }});
  world.add_process({.name = "c2", .main = [&](Process& p) {
                       StorageClient s(p, store);
                       ASSERT_TRUE(p.sleep_until(local_time(1s)));
                       const std::uint64_t grant = pretend_acquire(h, p, 1s, 2);
                       (void)recorded_write(h, p, s, grant, 2, "fresh");
                     }});
  const FaultSchedule schedule = {{at_ms(5), ProcessPause{c1}}, {at_ms(2000), ProcessResume{c1}}};
  world.schedule(schedule);
  EXPECT_EQ(world.run().status, RunStatus::idle);  // the storage waits for clients forever
  refresh_validity(h, world);
  story.faults = fault_notes(world, schedule);
}

TEST(Storage, PausedClientsWriteIsAppliedLateAndOnlyResourceSafetyCatchesIt) {
  PausedStory story;
  run_paused_story(false, story);
  EXPECT_EQ(story.c1_result, "accepted");
  EXPECT_THAT(accepted_flags(*story.log),
              ElementsAre("c2 2 2 accepted @1.003s", "c1 1 1 accepted @2.003s"));
  EXPECT_EQ(story.log->writes()[1].payload, std::string("stale\0\xff", 7));

  const properties::Verdict me = properties::check_mutual_exclusion(story.history, story.faults);
  EXPECT_EQ(me.kind, Kind::ok) << me.summary;
  const properties::Verdict rs =
      properties::check_resource_safety(story.history, *story.log, story.faults);
  ASSERT_EQ(rs.kind, Kind::violation) << rs.summary;
  EXPECT_EQ(rs.first->first.client_name, "c1");
  EXPECT_EQ(rs.first->second.client_name, "c2");
  EXPECT_EQ(rs.first->until, at_ms(2003));
  EXPECT_THAT(rs.summary, HasSubstr("5ms pause c1"));
  EXPECT_THAT(rs.summary, HasSubstr("2s resume c1"));
}

TEST(Storage, FencingRejectsThePausedClientsStaleWrite) {
  PausedStory story;
  run_paused_story(true, story);
  EXPECT_EQ(story.c1_result, "rejected_stale");
  EXPECT_THAT(accepted_flags(*story.log),
              ElementsAre("c2 2 2 accepted @1.003s", "c1 1 1 rejected @2.003s"));
  EXPECT_EQ(properties::check_resource_safety(story.history, *story.log).kind, Kind::ok);
  const Operation& write = story.history.operations().back();
  EXPECT_EQ(write.kind, OpKind::write);
  EXPECT_EQ(write.status, OpStatus::fail);
  EXPECT_EQ(write.outcome, "rejected_stale");
}

// The history records both times of each operation: client 1's clock is 3ms
// ahead and 200ppm fast, and its validity end (100ms after acquiring, by its
// clock) falls at true time 99.98ms. The history and the storage log (binary
// payload included) survive JSON Lines unchanged, and so do the verdicts.
TEST(Storage, HistoryAndLogRoundTripThroughJsonLines) {
  PausedStory story;
  run_paused_story(false, story);
  const Operation& acquire = story.history.at(1);
  EXPECT_EQ(acquire.client_name, "c1");
  EXPECT_EQ(acquire.grant, 1u);
  EXPECT_EQ(acquire.invoked_local, local_time(3ms));
  EXPECT_EQ(acquire.validity_end_local, local_time(103ms));
  // The first true time t with t + floor(t * 200ppm) >= 100ms.
  EXPECT_EQ(acquire.validity_end_true, true_time(99'980'004ns));
  const Operation& late_write = story.history.operations().back();
  EXPECT_EQ(late_write.invoked_true, at_ms(2000));
  EXPECT_EQ(late_write.completed_true, at_ms(2004));

  const std::string text = story.history.to_jsonl();
  const History back = History::from_jsonl(text);
  EXPECT_EQ(back, story.history);
  EXPECT_EQ(back.to_jsonl(), text);
  const StorageLog log_back = StorageLog::from_jsonl(story.log->to_jsonl());
  EXPECT_EQ(log_back, *story.log);
  EXPECT_THAT(story.log->to_jsonl(), HasSubstr("\"payload_hex\":\"7374616c6500ff\""));
  EXPECT_EQ(properties::check_resource_safety(back, log_back, story.faults),
            properties::check_resource_safety(story.history, *story.log, story.faults));
}

// A validity end is a reading of the holder's clock; when the clock jumps
// after the acquire completed, the true time it is reached moves. At
// completion the history can only extrapolate (1s); refresh_validity after the
// run sees the +300ms jump at 500ms and answers 700ms.
TEST(Storage, RefreshValidityFollowsALaterClockJump) {
  History h;
  World world({.seed = 1});
  const ProcessId c = world.add_process({.name = "c", .main = [&](Process& p) {
                                           (void)pretend_acquire(h, p, 1s, 1);
                                         }});
  world.schedule({at_ms(500), ClockJump{c, 300ms}});
  ASSERT_EQ(world.run_until(at_ms(100)).status, RunStatus::reached_time);
  EXPECT_EQ(h.at(1).validity_end_true, at_ms(1000));
  ASSERT_EQ(world.run().status, RunStatus::idle);
  refresh_validity(h, world);
  EXPECT_EQ(h.at(1).validity_end_true, at_ms(700));
}

// A write to a paused storage times out; the client closes that connection
// and the next write opens a new one, so its reply cannot be confused with
// the first's. The first write was on the wire: the storage applies it on
// resume, before the second.
TEST(Storage, TimedOutWriteIsStillAppliedAndTheNextWriteReconnects) {
  auto log = std::make_shared<StorageLog>();
  History h;
  std::vector<std::string> results;
  World world({.seed = 2, .latency = FixedLatency{1ms}});
  const ProcessId store = world.add_process(storage_service("storage", {}, log));
  world.add_process({.name = "c1", .main = [&](Process& p) {
                       StorageClient s(p, store);
                       ASSERT_TRUE(p.sleep_for(20ms));
                       results.push_back(recorded_write(h, p, s, 7, {}, "first"));
                       EXPECT_FALSE(s.connected());
                       ASSERT_TRUE(p.sleep_until(local_time(600ms)));
                       results.push_back(recorded_write(h, p, s, 7, {}, "second"));
                       EXPECT_TRUE(s.connected());
                     }});
  world.schedule({at_ms(10), ProcessPause{store}});
  world.schedule({at_ms(500), ProcessResume{store}});
  EXPECT_EQ(world.run().status, RunStatus::idle);  // the storage waits for clients forever
  EXPECT_THAT(results, ElementsAre("timed_out", "accepted"));
  EXPECT_THAT(accepted_flags(*log), ElementsAre("c1 7 - accepted @500ms", "c1 7 - accepted @603ms"));
  EXPECT_EQ(h.operations()[0].status, OpStatus::info);
  EXPECT_EQ(h.operations()[0].outcome, "timed_out");
}

// Loading names the line and the field, so a hand-edited history file can be
// fixed from the message alone.
TEST(Storage, BadJsonLinesNameTheLineAndTheField) {
  History h;
  Operation op;
  op.id = 1;
  op.key = "k";
  h.append(op);
  std::string text = h.to_jsonl();
  std::string bad = text + text;  // a duplicate id
  auto message = [](auto load) -> std::string {
    try {
      load();
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message([&] { (void)History::from_jsonl(bad); }),
            "history line 2: field \"id\": 1 appears twice");
  std::string wrong_kind = text;
  wrong_kind.replace(wrong_kind.find("\"acquire\""), 9, "\"steal\"");
  EXPECT_EQ(message([&] { (void)History::from_jsonl("\n" + wrong_kind); }),
            "history line 2: field \"kind\": expected acquire, release, extend or write, got "
            "\"steal\"");
  EXPECT_THAT(message([&] { (void)History::from_jsonl("{\"id\": 1}\n"); }),
              HasSubstr("history line 1: field \"client\": missing"));
  EXPECT_THAT(message([&] { (void)History::from_jsonl("[1]\n"); }),
              HasSubstr("history line 1: not a JSON object"));
  EXPECT_THAT(message([&] { (void)StorageLog::from_jsonl("{\"writer\": 1, \"writer_name\": "
                                                         "\"c\", \"grant\": -1}"); }),
              HasSubstr("storage log line 1: field \"grant\": expected an unsigned integer"));
}

// The wire format carries any payload bytes and rejects what it cannot read.
TEST(Storage, WireFormatIsBinarySafe) {
  const StorageRequest request{.grant = 0x0102030405060708, .token = 9,
                               .payload = std::string("\0a\n\xff", 4)};
  const std::optional<StorageRequest> back = decode_storage_request(encode_storage_request(request));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->grant, request.grant);
  EXPECT_EQ(back->token, 9u);
  EXPECT_EQ(back->payload, request.payload);
  EXPECT_FALSE(decode_storage_request(encode_storage_request({.grant = 1}).substr(0, 17)));
  EXPECT_FALSE(decode_storage_request("X" + encode_storage_request({.grant = 1}).substr(1)));
}

}  // namespace
}  // namespace locklab::sim
