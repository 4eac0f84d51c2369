// The naive lock, the negative control: both of its acquire variants work
// when nothing goes wrong, and each of its known flaws shows — a DEL that
// deletes whoever holds the key, and a SETNX whose PEXPIRE never comes,
// leaving a key that never expires. Links take a fixed 1 ms; connections are
// opened before the measured calls, so the timings below are exact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "lock/lock_world.hpp"
#include "lock/redis_probe.hpp"
#include "locklab/lock/naive.hpp"

namespace locklab::lock {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::commands_received;
using testing::LockWorld;
using testing::raw_call;
using testing::warm_up;
using Backend = sim::LockBackend;
using Naive = NaiveLock<Backend>;
using RawReply = sim::redis::Reply;

sim::WorldConfig one_ms_links() {
  return {.latency = sim::FixedLatency{1ms}, .trace = {.keep_records = true}};
}

// Both variants grant the first client and refuse the second (busy), and
// send exactly their textbook commands: one SET NX PX, or SETNX then PEXPIRE.
// Either way the key ends up with the TTL.
TEST(NaiveLock, BothVariantsAcquireAndRefuse) {
  for (NaiveVariant variant : {NaiveVariant::set_nx_px, NaiveVariant::setnx_pexpire}) {
    SCOPED_TRACE(variant == NaiveVariant::set_nx_px ? "SET NX PX" : "SETNX + PEXPIRE");
    LockWorld w(1, one_ms_links());
    std::optional<Naive::Acquired> first, second;
    std::int64_t ttl_left = 0;
    w.client("a", [&](sim::Process& p, Backend& b) {
      Naive lock(b, {.ttl = 10s, .retry = {.count = 0}}, variant);
      first = lock.acquire("job", p.now() + 1s);
      ttl_left = raw_call(p, w.redis[0], {"PTTL", "job"}).integer;
    });
    w.client("b", [&](sim::Process& p, Backend& b) {
      Naive lock(b, {.ttl = 10s, .retry = {.count = 0}}, variant);
      (void)p.sleep_for(50ms);
      second = lock.acquire("job", p.now() + 1s);
    });
    w.world.run_until(sim::true_time(1s));
    ASSERT_TRUE(first.has_value() && second.has_value());
    ASSERT_EQ(first->outcome, Outcome::acquired);
    EXPECT_EQ(first->lease->validity_end - first->lease->attempt_started, 10s);  // no allowance
    EXPECT_EQ(second->outcome, Outcome::busy);
    EXPECT_GT(ttl_left, 9900);
    EXPECT_LE(ttl_left, 10000);

    std::vector<sim::redis::Argv> sent;
    for (auto& c : commands_received(w.world, w.redis[0])) {
      if (c.argv[0] != "PTTL") sent.push_back(c.argv);
    }
    const std::string v = first->lease->token;
    ASSERT_FALSE(sent.empty());
    if (variant == NaiveVariant::set_nx_px) {
      EXPECT_EQ(sent[0], (sim::redis::Argv{"SET", "job", v, "NX", "PX", "10000"}));
      ASSERT_EQ(sent.size(), 2u);
      EXPECT_EQ(sent[1][0], "SET");  // b's, refused
    } else {
      ASSERT_EQ(sent.size(), 3u);
      EXPECT_EQ(sent[0], (sim::redis::Argv{"SETNX", "job", v}));
      EXPECT_EQ(sent[1], (sim::redis::Argv{"PEXPIRE", "job", "10000"}));
      EXPECT_EQ(sent[2][0], "SETNX");  // b's, refused: no PEXPIRE after it
    }
  }
}

// The negative control: a's lease (100 ms) has run out and b holds the key,
// but a's release is a plain DEL — it deletes b's key and says `released`.
// A third client then gets the lock while b still believes it holds it.
TEST(NaiveLock, ReleaseDeletesAnotherClientsKey) {
  LockWorld w(1, one_ms_links());
  Outcome a_release = Outcome::invalid;
  std::optional<Naive::Acquired> b_got, c_got;
  bool b_still_believes = false;
  w.client("a", [&](sim::Process& p, Backend& b) {
    Naive lock(b, {.ttl = 100ms, .node_timeout = 10ms});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    (void)p.sleep_for(200ms);
    a_release = lock.release(*got.lease).outcome;
  });
  sim::Process* b_process = nullptr;
  w.client("b", [&](sim::Process& p, Backend& b) {
    b_process = &p;
    Naive lock(b, {.ttl = 1s, .retry = {.count = 0}});
    (void)p.sleep_for(150ms);
    b_got = lock.acquire("job", p.now() + 1s);
    (void)p.sleep_for(100ms);
    b_still_believes = b_got->acquired() && b_got->lease->valid_at(p.now());
  });
  w.client("c", [&](sim::Process& p, Backend& b) {
    Naive lock(b, {.ttl = 1s, .retry = {.count = 0}});
    (void)p.sleep_for(220ms);
    c_got = lock.acquire("job", p.now() + 1s);
  });
  w.world.run_until(sim::true_time(1s));
  ASSERT_TRUE(b_got.has_value() && c_got.has_value());
  EXPECT_EQ(b_got->outcome, Outcome::acquired);
  EXPECT_EQ(a_release, Outcome::released);  // it deleted b's key
  EXPECT_EQ(c_got->outcome, Outcome::acquired);
  EXPECT_TRUE(b_still_believes);  // two holders at once
}

// SETNX then PEXPIRE are two commands, and a crash between them leaves a key
// that never expires. The node (AOF, fsync always) applies a's SETNX at
// 101 ms; the PEXPIRE sent at 102 ms is held up 50 ms in the network, and the
// node is killed at 120 ms and restarted at 130 ms: the PEXPIRE dies with the
// old connection, the SETNX comes back from the AOF, without a TTL (PTTL -1).
// a was told `acquired` and believes a 1 s lease; nobody gets the lock ever
// again, a minute later included. Under the same faults SET NX PX, one
// command, leaves a key that expires (the AOF keeps its absolute expiry), and
// another client gets in.
TEST(NaiveLock, SetnxThenPexpireLeavesAKeyWithoutTtlWhenThePexpireIsLost) {
  struct Run {
    std::vector<sim::redis::Argv> sent;
    Outcome a_got = Outcome::invalid;
    RawReply pttl;
    Outcome later = Outcome::invalid;
  };
  const auto run = [](NaiveVariant variant) {
    LockWorld w(1, one_ms_links(), {.persistence = sim::redis::Persistence::aof_always});
    Run out;
    const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
      ASSERT_TRUE(warm_up(b));
      (void)p.sleep_until(sim::local_time(100ms));
      Naive lock(b, {.ttl = 1s, .node_timeout = 10ms}, variant);
      out.a_got = lock.acquire("job", p.now() + 1s).outcome;
    });
    w.world.schedule({.at = sim::true_time(101ms), .action = sim::MessageDelay{a, w.redis[0], 50ms, 1}});
    w.world.schedule({.at = sim::true_time(120ms), .action = sim::ProcessKill{w.redis[0]}});
    w.world.schedule({.at = sim::true_time(130ms), .action = sim::ProcessRestart{w.redis[0]}});
    w.client("later", [&](sim::Process& p, Backend& b) {
      (void)p.sleep_until(sim::local_time(5s));
      out.pttl = raw_call(p, w.redis[0], {"PTTL", "job"});
      (void)p.sleep_until(sim::local_time(60s));
      Naive lock(b, {.ttl = 1s, .node_timeout = 10ms, .retry = {.count = 0}}, variant);
      out.later = lock.acquire("job", p.now() + 1s).outcome;
    });
    w.world.run_until(sim::true_time(70s));
    for (auto& c : commands_received(w.world, w.redis[0])) {
      if (c.argv[0] == "SETNX" || c.argv[0] == "PEXPIRE" || c.argv[0] == "SET") {
        out.sent.push_back({c.argv[0]});
      }
    }
    return out;
  };

  const Run two_commands = run(NaiveVariant::setnx_pexpire);
  EXPECT_EQ(two_commands.a_got, Outcome::acquired);
  EXPECT_THAT(two_commands.sent,  // a's SETNX, later's SETNX; no PEXPIRE ever arrived
              ElementsAre(sim::redis::Argv{"SETNX"}, sim::redis::Argv{"SETNX"}));
  EXPECT_EQ(two_commands.pttl, RawReply::integer_reply(-1));
  EXPECT_EQ(two_commands.later, Outcome::busy);

  const Run one_command = run(NaiveVariant::set_nx_px);
  EXPECT_EQ(one_command.a_got, Outcome::acquired);
  EXPECT_THAT(one_command.sent, ElementsAre(sim::redis::Argv{"SET"}, sim::redis::Argv{"SET"}));
  EXPECT_EQ(one_command.pttl, RawReply::integer_reply(-2));  // expired and gone by 5 s
  EXPECT_EQ(one_command.later, Outcome::acquired);
}

// The same flaw without any kill: the SETNX's reply is held up 50 ms in the
// network, past the 10 ms node timeout. The SETNX was applied, the client
// never learns it and never sends the PEXPIRE; its retries find the key
// taken (SETNX answers 0) until the deadline, and the outcome is
// indeterminate. The key never expires.
TEST(NaiveLock, SetnxWhoseReplyIsLateLeavesAKeyWithoutTtl) {
  LockWorld w(1, one_ms_links());
  std::optional<Naive::Acquired> got;
  RawReply pttl;
  const sim::ProcessId a = w.client("a", [&](sim::Process& p, Backend& b) {
    ASSERT_TRUE(warm_up(b));
    (void)p.sleep_until(sim::local_time(100ms));
    Naive lock(b, {.ttl = 1s, .node_timeout = 10ms,
                   .retry = {.count = 3, .delay = 100ms, .jitter = 0ms}},
               NaiveVariant::setnx_pexpire);
    got = lock.acquire("job", p.now() + 2s);
    (void)p.sleep_until(sim::local_time(10s));
    pttl = raw_call(p, w.redis[0], {"PTTL", "job"});
  });
  w.world.schedule({.at = sim::true_time(50ms), .action = sim::MessageDelay{w.redis[0], a, 50ms, 1}});
  w.world.run_until(sim::true_time(20s));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->outcome, Outcome::indeterminate);
  EXPECT_EQ(got->attempts, 4);
  ASSERT_EQ(got->nodes.size(), 1u);
  ASSERT_TRUE(got->nodes[0].result.has_value());
  EXPECT_TRUE(got->nodes[0].result->is_integer(0));  // the last retry: taken
  EXPECT_EQ(pttl, RawReply::integer_reply(-1));
  EXPECT_TRUE(commands_received(w.world, w.redis[0], "PEXPIRE").empty());
}

}  // namespace
}  // namespace locklab::lock
