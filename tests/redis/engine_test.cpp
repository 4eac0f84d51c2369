// The Engine's commands: replies, error texts and expiry by the node's clock,
// as redis-server 7.0 gives them (the differential test checks the same
// against a real server; these pin the cases that matter most to locks).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locklab/sim/redis/engine.hpp"

namespace locklab::sim::redis {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;  // a node clock reading, ms

Reply run(Engine& e, const Argv& argv, std::int64_t now = kNow) { return e.execute(argv, now); }

TEST(Engine, SetNxPxIsTheLockAcquire) {
  Engine e;
  EXPECT_EQ(run(e, {"SET", "lock", "t1", "NX", "PX", "10000"}), Reply::ok());
  EXPECT_EQ(run(e, {"SET", "lock", "t2", "NX", "PX", "10000"}), Reply::nil());
  EXPECT_EQ(run(e, {"GET", "lock"}), Reply::bulk("t1"));
  EXPECT_EQ(run(e, {"PTTL", "lock"}, kNow + 2500), Reply::integer_reply(7500));
  EXPECT_EQ(run(e, {"TTL", "lock"}, kNow + 2500), Reply::integer_reply(8));  // rounded
}

// Keys expire by the node's clock: lazily on access once the clock has
// passed their time (Redis's `now > when`); at `when` itself the key is
// still there with PTTL 0, so it lives at least its TTL.
TEST(Engine, KeysExpireByTheNodeClock) {
  Engine e;
  run(e, {"SET", "k", "v", "PX", "100"});
  EXPECT_EQ(run(e, {"GET", "k"}, kNow + 99), Reply::bulk("v"));
  EXPECT_EQ(run(e, {"GET", "k"}, kNow + 100), Reply::bulk("v"));
  EXPECT_EQ(run(e, {"PTTL", "k"}, kNow + 100), Reply::integer_reply(0));
  EXPECT_EQ(run(e, {"SET", "k", "w", "NX"}, kNow + 100), Reply::nil());
  EXPECT_EQ(run(e, {"GET", "k"}, kNow + 101), Reply::nil());
  EXPECT_EQ(run(e, {"SET", "k", "w", "NX"}, kNow + 101), Reply::ok());
  // A clock that jumped back does not resurrect a deleted key.
  EXPECT_EQ(run(e, {"PTTL", "k"}, kNow), Reply::integer_reply(-1));
}

// A simulated clock stepped back past zero reads negative milliseconds (a
// real server's never does): relative expiries still add up, and the
// overflow checks stay exact at the top of the range. Found by the explorer
// under UBSan (a signed overflow in SET PX's range check).
TEST(Engine, RelativeExpiryWorksOnANegativeClock) {
  Engine e;
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX", "100"}, -42), Reply::ok());
  EXPECT_EQ(run(e, {"PTTL", "k"}, -42), Reply::integer_reply(100));
  EXPECT_EQ(run(e, {"GET", "k"}, 58), Reply::bulk("v"));
  EXPECT_EQ(run(e, {"GET", "k"}, 59), Reply::nil());
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX", "9223372036854775807"}, -42), Reply::ok());
  EXPECT_EQ(run(e, {"SET", "j", "v"}, -42), Reply::ok());
  EXPECT_EQ(run(e, {"PEXPIRE", "j", "100"}, -42), Reply::integer_reply(1));
  EXPECT_EQ(run(e, {"PTTL", "j"}, -42), Reply::integer_reply(100));
  // At now = 1 the largest PX overflows, as Redis reports it.
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX", "9223372036854775807"}, 1),
            Reply::error("ERR invalid expire time in 'set' command"));
}

// A backward jump on the node lengthens the remaining TTL by the jump.
TEST(Engine, BackwardClockLengthensTtl) {
  Engine e;
  run(e, {"SET", "k", "v", "PX", "1000"});
  EXPECT_EQ(run(e, {"PTTL", "k"}, kNow - 5000), Reply::integer_reply(6000));
}

TEST(Engine, ActiveExpiryDeletesUntouchedKeys) {
  Engine e;
  std::vector<Argv> writes;
  e.set_write_observer([&](const Argv& a) { writes.push_back(a); });
  run(e, {"SET", "a", "1", "PX", "50"});
  run(e, {"SET", "b", "2"});
  EXPECT_EQ(e.active_expire_cycle(kNow + 49), 0u);
  EXPECT_EQ(e.active_expire_cycle(kNow + 50), 0u);  // at its time, not yet past it
  EXPECT_EQ(e.active_expire_cycle(kNow + 51), 1u);
  EXPECT_EQ(e.keys().count("a"), 0u);
  EXPECT_EQ(writes.back(), (Argv{"DEL", "a"}));
}

// What redis-server 7.0.15 answers, error texts included.
TEST(Engine, ErrorTextsMatchRedis) {
  Engine e;
  EXPECT_EQ(run(e, {"SET", "k", "v", "NX", "XX"}), Reply::error("ERR syntax error"));
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX", "0"}),
            Reply::error("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX", "-5"}),
            Reply::error("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX", "abc"}),
            Reply::error("ERR value is not an integer or out of range"));
  EXPECT_EQ(run(e, {"SET", "k", "v", "PX"}), Reply::error("ERR syntax error"));
  run(e, {"SET", "s", "notanumber"});
  EXPECT_EQ(run(e, {"INCR", "s"}), Reply::error("ERR value is not an integer or out of range"));
  EXPECT_EQ(run(e, {"GET"}), Reply::error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(run(e, {"get", "a", "b"}),
            Reply::error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(run(e, {"FOO", "a", "b"}),
            Reply::error("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(run(e, {"EXPIRE", "k", "10", "NX", "XX"}),
            Reply::error("ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_EQ(run(e, {"EXPIRE", "k", "10", "BAD"}), Reply::error("ERR Unsupported option BAD"));
}

TEST(Engine, PttlOfMissingAndPersistentKeys) {
  Engine e;
  EXPECT_EQ(run(e, {"PTTL", "nope"}), Reply::integer_reply(-2));
  run(e, {"SET", "k", "v"});
  EXPECT_EQ(run(e, {"PTTL", "k"}), Reply::integer_reply(-1));
}

// SET ... NX GET is allowed in 7.0: it returns the old value and sets only
// when the key was missing.
TEST(Engine, SetNxGetReturnsTheOldValue) {
  Engine e;
  EXPECT_EQ(run(e, {"SET", "k", "v1", "NX", "GET"}), Reply::nil());
  EXPECT_EQ(run(e, {"SET", "k", "v2", "NX", "GET"}), Reply::bulk("v1"));
  EXPECT_EQ(run(e, {"GET", "k"}), Reply::bulk("v1"));
}

TEST(Engine, KeepTtlAndPlainSetClearsTtl) {
  Engine e;
  run(e, {"SET", "k", "v", "PX", "5000"});
  run(e, {"SET", "k", "w", "KEEPTTL"});
  EXPECT_EQ(run(e, {"PTTL", "k"}), Reply::integer_reply(5000));
  run(e, {"SET", "k", "x"});
  EXPECT_EQ(run(e, {"PTTL", "k"}), Reply::integer_reply(-1));
}

TEST(Engine, IncrCountsAndKeepsTtl) {
  Engine e;
  EXPECT_EQ(run(e, {"INCR", "fence"}), Reply::integer_reply(1));
  run(e, {"PEXPIRE", "fence", "1000"});
  EXPECT_EQ(run(e, {"INCR", "fence"}), Reply::integer_reply(2));
  EXPECT_EQ(run(e, {"PTTL", "fence"}), Reply::integer_reply(1000));
  run(e, {"SET", "max", "9223372036854775807"});
  EXPECT_EQ(run(e, {"INCR", "max"}), Reply::error("ERR increment or decrement would overflow"));
}

TEST(Engine, DelAndExistsCountKeys) {
  Engine e;
  run(e, {"SET", "a", "1"});
  run(e, {"SET", "b", "2", "PX", "10"});
  EXPECT_EQ(run(e, {"EXISTS", "a", "a", "b", "c"}), Reply::integer_reply(3));
  EXPECT_EQ(run(e, {"DEL", "a", "b", "c"}, kNow + 11), Reply::integer_reply(1));
}

// Every write reaches the observer as the command that replays it exactly:
// relative expiries become absolute (SET ... PXAT), as Redis 7's AOF writes.
TEST(Engine, WritesAreObservedWithAbsoluteExpiry) {
  Engine e;
  std::vector<Argv> writes;
  e.set_write_observer([&](const Argv& a) { writes.push_back(a); });
  run(e, {"SET", "k", "v", "PX", "250"});
  run(e, {"PEXPIRE", "k", "1000"});
  run(e, {"EXPIRE", "k", "-1"});
  EXPECT_THAT(writes, ::testing::ElementsAre(
                          Argv{"SET", "k", "v", "PXAT", std::to_string(kNow + 250)},
                          Argv{"PEXPIREAT", "k", std::to_string(kNow + 1000)}, Argv{"DEL", "k"}));
}

TEST(Engine, ScriptCommandsAreCheckedBeforeTheScriptEngine) {
  Engine e;
  EXPECT_EQ(run(e, {"SCRIPT", "NOPE"}),
            Reply::error("ERR unknown subcommand 'NOPE'. Try SCRIPT HELP."));
  EXPECT_EQ(run(e, {"SCRIPT", "FLUSH", "LATER"}),
            Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
  EXPECT_EQ(run(e, {"SCRIPT", "FLUSH"}), Reply::ok());
  EXPECT_EQ(run(e, {"EVAL", "return 1"}),
            Reply::error("ERR wrong number of arguments for 'eval' command"));
}

// While loading, Redis 7.0 refuses every command here with LOADING, but only
// after processCommand's earlier checks: unknown command or subcommand,
// arity, READONLY on a replica (src/server.c). The load itself goes on.
TEST(Engine, LoadingRefusesCommandsAfterRedisEarlierChecks) {
  const Reply loading = Reply::error("LOADING Redis is loading the dataset in memory");
  Engine e;
  e.set_loading(true);
  for (const Argv& argv : {Argv{"PING"}, Argv{"PING", "a", "b"}, Argv{"SET", "k", "v", "BOGUS"},
                           Argv{"GET", "k"}, Argv{"DEL", "k"}, Argv{"PEXPIRE", "k", "10"},
                           Argv{"PTTL", "k"}, Argv{"INCR", "k"}, Argv{"EVAL", "return 1", "0"},
                           Argv{"EVALSHA", "abc", "0"}, Argv{"SCRIPT", "LOAD", "return 1"},
                           Argv{"SCRIPT", "EXISTS", "abc"}, Argv{"SCRIPT", "FLUSH", "LATER"}}) {
    EXPECT_EQ(run(e, argv), loading) << argv[0];
  }
  EXPECT_EQ(run(e, {"NOPE"}), Reply::error("ERR unknown command 'NOPE', with args beginning with: "));
  EXPECT_EQ(run(e, {"GET"}), Reply::error("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(run(e, {"SCRIPT", "LOAD"}),
            Reply::error("ERR wrong number of arguments for 'script|load' command"));
  EXPECT_EQ(run(e, {"SCRIPT", "NOPE"}),
            Reply::error("ERR unknown subcommand 'NOPE'. Try SCRIPT HELP."));
  e.set_replica(true);
  EXPECT_EQ(run(e, {"SET", "k", "v"}),
            Reply::error("READONLY You can't write against a read only replica."));
  EXPECT_EQ(run(e, {"GET", "k"}), loading);
  e.set_replica(false);
  EXPECT_EQ(e.apply_replicated({"SET", "k", "v"}, kNow), Reply::ok());  // the load
  e.set_loading(false);
  EXPECT_EQ(run(e, {"GET", "k"}), Reply::bulk("v"));
  EXPECT_EQ(run(e, {"PING"}), Reply::status("PONG"));
}

}  // namespace
}  // namespace locklab::sim::redis
