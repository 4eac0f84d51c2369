// FakeRedis against Redis's semantics for what the locks send: a fake that
// is wrong about a script would let a broken lock pass every thread test.
// Each script is driven through EVAL/EVALSHA exactly as lockimpl builds it
// (detail::script_command), on one node, without a backend.
#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

#include "fake_redis.hpp"
#include "locklab/lock/detail/script_call.hpp"
#include "locklab/lock/scripts.hpp"

namespace locklab::testing {
namespace {

using namespace std::chrono_literals;
using lock::Reply;

// One request to node 0 that must get a reply (not a NodeError).
Reply ask(FakeRedis& redis, const lock::Command& command) {
  lock::NodeResult r = redis.request(0, command);
  EXPECT_TRUE(r.has_value()) << "no reply to " << command[0];
  return r ? *r : Reply::error("no reply");
}

// The script by text (EVAL): loads it into the node's cache too.
Reply eval(FakeRedis& redis, const lock::Script& script, lock::detail::Strings keys,
           lock::detail::Strings args) {
  return ask(redis, lock::detail::script_command(false, script, keys, args));
}

Reply evalsha(FakeRedis& redis, const lock::Script& script, lock::detail::Strings keys,
              lock::detail::Strings args) {
  return ask(redis, lock::detail::script_command(true, script, keys, args));
}

// Compare-and-delete: a client whose lease expired must never delete the
// next holder's key.
TEST(FakeRedis, ReleaseDeletesOnlyForTheOwnerToken) {
  FakeRedis redis(1);
  EXPECT_EQ(ask(redis, {"SET", "k", "mine", "NX", "PX", "10000"}), Reply::ok());
  EXPECT_EQ(eval(redis, lock::scripts::release, {"k"}, {"theirs"}), Reply::integer_reply(0));
  EXPECT_EQ(redis.get(0, "k"), std::optional<std::string>("mine"));
  EXPECT_EQ(evalsha(redis, lock::scripts::release, {"k"}, {"mine"}), Reply::integer_reply(1));
  EXPECT_FALSE(redis.exists(0, "k"));
  EXPECT_EQ(evalsha(redis, lock::scripts::release, {"k"}, {"mine"}), Reply::integer_reply(0));
}

// Compare-and-pexpire: only the holder renews, and the renewal sets the new
// TTL (not adds to it).
TEST(FakeRedis, ExtendRenewsOnlyForTheOwner) {
  FakeRedis redis(1);
  ASSERT_EQ(ask(redis, {"SET", "k", "mine", "PX", "1000"}), Reply::ok());
  EXPECT_EQ(eval(redis, lock::scripts::extend, {"k"}, {"theirs", "60000"}),
            Reply::integer_reply(0));
  EXPECT_LE(ask(redis, {"PTTL", "k"}).integer, 1000);
  EXPECT_EQ(eval(redis, lock::scripts::extend, {"k"}, {"mine", "60000"}), Reply::integer_reply(1));
  const Reply ttl = ask(redis, {"PTTL", "k"});
  EXPECT_GT(ttl.integer, 59000);
  EXPECT_LE(ttl.integer, 60000);
  EXPECT_EQ(eval(redis, lock::scripts::extend, {"gone"}, {"mine", "60000"}),
            Reply::integer_reply(0));
  EXPECT_FALSE(redis.exists(0, "gone"));
}

// Fenced acquire: the counter moves only with a grant, so every grant draws
// a fresh, larger token.
TEST(FakeRedis, FencedAcquireIncrementsTheCounterOnlyWhenItSets) {
  FakeRedis redis(1);
  const auto& script = lock::scripts::fenced_acquire;
  EXPECT_EQ(eval(redis, script, {"k", "k:fence"}, {"a", "10000"}), Reply::integer_reply(1));
  EXPECT_EQ(redis.get(0, "k"), std::optional<std::string>("a"));
  EXPECT_EQ(evalsha(redis, script, {"k", "k:fence"}, {"b", "10000"}), Reply::nil());  // taken
  EXPECT_EQ(redis.get(0, "k:fence"), std::optional<std::string>("1"));
  EXPECT_EQ(ask(redis, {"DEL", "k"}), Reply::integer_reply(1));
  EXPECT_EQ(evalsha(redis, script, {"k", "k:fence"}, {"b", "10000"}), Reply::integer_reply(2));
  const Reply ttl = ask(redis, {"PTTL", "k"});
  EXPECT_GT(ttl.integer, 9000);
  // The counter never expires.
  EXPECT_EQ(ask(redis, {"PTTL", "k:fence"}), Reply::integer_reply(-1));
}

// raise_counter is a max register: it never lowers the counter, so a stale
// client cannot roll fencing tokens back.
TEST(FakeRedis, RaiseCounterIsAMaxRegister) {
  FakeRedis redis(1);
  const auto& script = lock::scripts::raise_counter;
  EXPECT_EQ(eval(redis, script, {"f"}, {"5"}), Reply::integer_reply(5));  // absent counts as 0
  EXPECT_EQ(evalsha(redis, script, {"f"}, {"3"}), Reply::integer_reply(5));
  EXPECT_EQ(redis.get(0, "f"), std::optional<std::string>("5"));
  EXPECT_EQ(evalsha(redis, script, {"f"}, {"9"}), Reply::integer_reply(9));
  EXPECT_EQ(redis.get(0, "f"), std::optional<std::string>("9"));
  EXPECT_EQ(ask(redis, {"INCR", "f"}), Reply::integer_reply(10));
  ASSERT_EQ(ask(redis, {"SET", "f", "abc"}), Reply::ok());
  EXPECT_TRUE(evalsha(redis, script, {"f"}, {"1"}).is_error());  // Lua: compare nil with number
}

// The script cache is per node and empty at start and after a flush (a
// restart): EVALSHA answers NOSCRIPT until an EVAL or SCRIPT LOAD caches it.
TEST(FakeRedis, EvalshaNeedsTheDigestInTheNodesCache) {
  FakeRedis redis(2);
  const auto& script = lock::scripts::release;
  const Reply missing = evalsha(redis, script, {"k"}, {"t"});
  EXPECT_TRUE(missing.is_error_code("NOSCRIPT")) << missing;
  EXPECT_EQ(missing.str, "NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(eval(redis, script, {"k"}, {"t"}), Reply::integer_reply(0));
  EXPECT_EQ(evalsha(redis, script, {"k"}, {"t"}), Reply::integer_reply(0));
  const lock::NodeResult other = redis.request(1, {"EVALSHA", script.sha1, "1", "k", "t"});
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(other->is_error_code("NOSCRIPT"));  // node 1 has its own cache

  redis.flush_scripts(0);
  EXPECT_TRUE(evalsha(redis, script, {"k"}, {"t"}).is_error_code("NOSCRIPT"));
  EXPECT_EQ(ask(redis, {"SCRIPT", "LOAD", script.text}), Reply::bulk(std::string(script.sha1)));
  EXPECT_EQ(evalsha(redis, script, {"k"}, {"t"}), Reply::integer_reply(0));
  EXPECT_EQ(ask(redis, {"SCRIPT", "FLUSH"}), Reply::ok());
  EXPECT_TRUE(evalsha(redis, script, {"k"}, {"t"}).is_error_code("NOSCRIPT"));
}

// The lock's safety rests on keys vanishing at their TTL: a key with expiry
// `when` is gone once now >= when.
TEST(FakeRedis, KeysExpireByTheirTtl) {
  FakeRedis redis(1);
  ASSERT_EQ(ask(redis, {"SET", "k", "v", "PX", "30"}), Reply::ok());
  ASSERT_EQ(ask(redis, {"SET", "forever", "v"}), Reply::ok());
  EXPECT_TRUE(redis.exists(0, "k"));
  const Reply ttl = ask(redis, {"PTTL", "k"});
  EXPECT_GE(ttl.integer, 0);
  EXPECT_LE(ttl.integer, 30);
  std::this_thread::sleep_for(40ms);
  EXPECT_FALSE(redis.exists(0, "k"));
  EXPECT_EQ(ask(redis, {"GET", "k"}), Reply::nil());
  EXPECT_EQ(ask(redis, {"PTTL", "k"}), Reply::integer_reply(-2));
  EXPECT_EQ(ask(redis, {"SET", "k", "w", "NX", "PX", "1000"}), Reply::ok());  // free again
  EXPECT_EQ(ask(redis, {"PTTL", "forever"}), Reply::integer_reply(-1));
  EXPECT_EQ(ask(redis, {"PEXPIRE", "forever", "0"}), Reply::integer_reply(1));  // past: deleted
  EXPECT_FALSE(redis.exists(0, "forever"));
  EXPECT_EQ(ask(redis, {"PEXPIRE", "forever", "1000"}), Reply::integer_reply(0));
}

// The plain commands the locks and the tests use, with Redis's replies for
// the edge cases lockimpl reads (nil for a refused NX, counts for DEL).
TEST(FakeRedis, PlainCommandsAnswerAsRedisDoes) {
  FakeRedis redis(1);
  EXPECT_EQ(ask(redis, {"PING"}), Reply::status("PONG"));
  EXPECT_EQ(ask(redis, {"set", "a", "1", "nx"}), Reply::ok());  // names and options in any case
  EXPECT_EQ(ask(redis, {"SET", "a", "2", "NX"}), Reply::nil());
  EXPECT_EQ(ask(redis, {"SET", "a", "3", "XX"}), Reply::ok());
  EXPECT_EQ(ask(redis, {"GET", "a"}), Reply::bulk("3"));
  EXPECT_EQ(ask(redis, {"INCR", "a"}), Reply::integer_reply(4));
  EXPECT_EQ(ask(redis, {"INCR", "new"}), Reply::integer_reply(1));
  EXPECT_EQ(ask(redis, {"DEL", "a", "new", "absent"}), Reply::integer_reply(2));
  EXPECT_TRUE(ask(redis, {"SET", "a", "v", "PX", "0"}).is_error());
  EXPECT_TRUE(ask(redis, {"SET", "a", "v", "PX", "soon"}).is_error());
  EXPECT_TRUE(ask(redis, {"SET", "a", "v", "BOGUS"}).is_error_code("ERR"));
  EXPECT_TRUE(ask(redis, {"GET"}).is_error_code("ERR"));
  ASSERT_EQ(ask(redis, {"SET", "s", "text"}), Reply::ok());
  EXPECT_EQ(ask(redis, {"INCR", "s"}), Reply::error("ERR value is not an integer or out of range"));
  const Reply unknown = ask(redis, {"FLUSHALL", "ASYNC"});
  EXPECT_TRUE(unknown.is_error_code("ERR")) << unknown;
  EXPECT_EQ(unknown.str.rfind("ERR unknown command 'FLUSHALL'", 0), 0u) << unknown;
  EXPECT_TRUE(ask(redis, {"EVAL", "return 1", "0"}).is_error());  // no Lua here
  EXPECT_EQ(redis.commands_seen(0), 16u);
}

// A node that goes down while a request waits out its delay drops the
// connection: the client cannot tell whether the command ran (it did not).
TEST(FakeRedis, NodeGoingDownDuringTheDelayLosesTheConnection) {
  FakeRedis redis(1);
  redis.set_delay(0, 1h);
  std::stop_source hurry;  // ends the delay once the node is down
  std::jthread killer([&] {
    while (redis.in_transit(0) == 0) std::this_thread::sleep_for(1ms);
    redis.set_down(0, true);
    hurry.request_stop();
  });
  const lock::NodeResult r = redis.request(0, {"SET", "k", "v"}, hurry.get_token());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, lock::NodeErrorKind::connection_lost);
  EXPECT_TRUE(r.error().maybe_applied);
  EXPECT_EQ(redis.in_transit(0), 0u);
  killer.join();
  redis.set_down(0, false);
  EXPECT_FALSE(redis.exists(0, "k"));
  EXPECT_EQ(redis.commands_seen(0), 0u);
}

}  // namespace
}  // namespace locklab::testing
