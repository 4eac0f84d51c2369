// The single-node lock and RedLock in simulated worlds: what each call
// sends, what it returns, and the numbers (validity, tokens) it computes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lock/lock_world.hpp"
#include "locklab/lock/redlock.hpp"
#include "locklab/sim/redis/client.hpp"

namespace locklab::lock {
namespace {

using namespace std::chrono_literals;
using testing::LockWorld;
using Backend = sim::LockBackend;

// Two clients of one node: the second is refused while the first holds, and
// gets in once the first releases. Tokens are 32 hex digits and differ.
TEST(SingleNodeLock, SecondClientIsBusyUntilTheFirstReleases) {
  LockWorld w(1);
  std::vector<std::string> story;
  std::string token_a, token_b;
  w.client("a", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 0}});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    token_a = got.lease->token;
    story.push_back("a acquired");
    (void)p.sleep_for(50ms);
    EXPECT_EQ(lock.release(*got.lease).outcome, Outcome::released);
    story.push_back("a released");
  });
  w.client("b", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 0}});
    (void)p.sleep_for(10ms);
    auto busy = lock.acquire("job", p.now() + 1s);
    story.push_back(std::string("b ") + std::string(name_of(busy.outcome)));
    (void)p.sleep_for(100ms);
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    token_b = got.lease->token;
    story.push_back("b acquired");
  });
  w.world.run_until(sim::true_time(2s));
  EXPECT_EQ(story, (std::vector<std::string>{"a acquired", "b busy", "a released", "b acquired"}));
  EXPECT_THAT(token_a, ::testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE(token_a, token_b);
}

// The release script checks the token: a client that does not hold the key
// cannot delete it (unlike the naive lock's DEL).
TEST(SingleNodeLock, ReleaseWithAnotherTokenLeavesTheKey) {
  LockWorld w(1);
  Outcome foreign = Outcome::acquired;
  bool still_held = false;
  w.client("a", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = 10s});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    foreign = lock.release_token("job", "not-the-token").outcome;
    still_held = !lock.try_acquire("job", p.now() + 1s).acquired();
  });
  w.world.run_until(sim::true_time(1s));
  EXPECT_EQ(foreign, Outcome::not_held);
  EXPECT_TRUE(still_held);
}

// Fencing: each grant's token is larger than the previous grant's, the
// counter INCRed by the same script as the SET.
TEST(SingleNodeLock, FencingTokensIncreaseWithEveryGrant) {
  LockWorld w(1);
  std::vector<std::uint64_t> tokens;
  w.client("a", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = 1s, .fencing = true});
    for (int i = 0; i < 4; ++i) {
      auto got = lock.acquire("job", p.now() + 1s);
      ASSERT_TRUE(got);
      ASSERT_TRUE(got.lease->fencing_token.has_value());
      tokens.push_back(*got.lease->fencing_token);
      if (i % 2 == 0) EXPECT_EQ(lock.release(*got.lease).outcome, Outcome::released);
      else (void)p.sleep_for(1100ms);  // or let it expire
    }
  });
  w.world.run_until(sim::true_time(10s));
  EXPECT_EQ(tokens, (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

// The scripts' digests are the ones a Redis node computes for their text.
TEST(Scripts, DigestsMatchWhatRedisComputes) {
  LockWorld w(1);
  std::vector<std::string> digests;
  w.client("a", [&](sim::Process& p, Backend& b) {
    for (const Script* s : {&scripts::release, &scripts::extend, &scripts::fenced_acquire,
                            &scripts::raise_counter}) {
      NodeResult r = b.call(0, {"SCRIPT", "LOAD", std::string(s->text)}, p.now() + 1s);
      ASSERT_TRUE(r.has_value());
      EXPECT_EQ(r->str, s->sha1);
      digests.push_back(r->str);
    }
  });
  w.world.run_until(sim::true_time(1s));
  EXPECT_EQ(digests.size(), 4u);
}

// After a restart the node's script cache is empty: the release's EVALSHA is
// answered NOSCRIPT, and the lock sends EVAL instead — it still releases.
TEST(SingleNodeLock, ReleaseFallsBackToEvalAfterTheNodeRestarts) {
  LockWorld w(1, {}, {.persistence = sim::redis::Persistence::aof_always});
  Outcome released = Outcome::invalid;
  bool reacquired = false;
  w.client("a", [&](sim::Process& p, Backend& b) {
    SingleNodeLock<Backend> lock(b, {.ttl = 10s, .retry = {.count = 0}});
    auto got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    ASSERT_EQ(lock.release(*got.lease).outcome, Outcome::released);  // loads the script
    got = lock.acquire("job", p.now() + 1s);
    ASSERT_TRUE(got);
    (void)p.sleep_for(100ms);  // the node restarts meanwhile, keeping the key (AOF)
    released = lock.release(*got.lease).outcome;
    reacquired = lock.acquire("job", p.now() + 1s).acquired();
  });
  w.world.schedule({.at = sim::true_time(20ms), .action = sim::ProcessKill{w.redis[0]}});
  w.world.schedule({.at = sim::true_time(30ms), .action = sim::ProcessRestart{w.redis[0]}});
  w.world.run_until(sim::true_time(1s));
  EXPECT_EQ(released, Outcome::released);
  EXPECT_TRUE(reacquired);
}

// Configuration mistakes are refused with a message naming the value. The
// constructor only checks its options, so it runs here, outside any fiber.
TEST(LockOptions, MistakesAreRefusedWithAClearMessage) {
  LockWorld w(3);
  const sim::ProcessId c = w.world.add_process({.name = "c", .main = [](sim::Process&) {}});
  Backend b(w.world.process(c), w.redis);
  std::vector<std::string> errors;
  const auto refuse = [&](LockOptions o) {
    try {
      RedLock<Backend> lock(b, o);
      errors.push_back("accepted");
    } catch (const ConfigError& e) {
      errors.push_back(e.what());
    }
  };
  refuse({.quorum = 4});
  refuse({.quorum = 1});
  refuse({.ttl = 0ms});
  refuse({.drift_factor = -0.1});
  refuse({.ttl = 10ms, .node_timeout = 20ms});
  refuse({.quorum = 3});
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0], "RedLock: quorum 4 is larger than the 3 nodes");
  EXPECT_THAT(errors[1], ::testing::HasSubstr("quorum 1 is not a majority of 3 nodes"));
  EXPECT_EQ(errors[2], "RedLock: ttl must be positive, got 0ms");
  EXPECT_THAT(errors[3], ::testing::HasSubstr("drift_factor must be in [0, 1), got -0.1"));
  EXPECT_THAT(errors[4], ::testing::HasSubstr("node_timeout must be positive and shorter than the ttl"));
  EXPECT_EQ(errors[5], "accepted");
}

}  // namespace
}  // namespace locklab::lock
