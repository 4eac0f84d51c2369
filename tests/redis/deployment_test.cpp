// Logical names, discovery delay and failover (scheduled and Sentinel-like).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/deployment.hpp"

namespace locklab::sim::redis {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

// Writes to the shard by its logical name every `every` from `start`,
// reconnecting (and so re-resolving the name) after any error.
struct Writer {
  std::vector<std::string> replies;
};

void add_writer(World& world, Deployment& redis, Writer& w, Duration start, Duration every,
                int count, std::string name = "writer") {
  world.add_process({.name = std::move(name), .main = [&, start, every, count](Process& p) {
                       Client client(p, redis.resolver("cache"));
                       (void)p.sleep_until(LocalTime{start});
                       for (int i = 0; i < count; ++i) {
                         SimResult<Reply> r = client.call({"SET", "k" + std::to_string(i), "v"},
                                                          p.now() + 100ms);
                         if (r && r->is_error()) client.disconnect();
                         w.replies.push_back(r ? to_display(*r) : std::string(sim::name_of(r.error())));
                         (void)p.sleep_for(every);
                       }
                     }});
}

// The logical name moves to the promoted replica, but clients learn it only
// after the discovery delay.
TEST(Deployment, ScheduledFailoverRepointsTheNameAfterTheDiscoveryDelay) {
  World world({.latency = FixedLatency{1ms}});
  Deployment redis(world, {.discovery_delay = 300ms});
  const ProcessId master = redis.add_shard({.name = "cache", .replicas = 1});
  const ProcessId replica = redis.nodes_of("cache")[1];
  redis.schedule_failover(true_time(500ms), "cache");
  std::vector<std::pair<TrueTime, ProcessId>> seen;
  world.at(true_time(400ms), [&] { seen.emplace_back(world.true_now(), redis.master_for("cache")); });
  world.at(true_time(600ms), [&] { seen.emplace_back(world.true_now(), redis.master_for("cache")); });
  world.at(true_time(900ms), [&] { seen.emplace_back(world.true_now(), redis.master_for("cache")); });
  world.run_until(true_time(1s));
  ASSERT_EQ(redis.failovers().size(), 1u);
  EXPECT_EQ(redis.failovers()[0].new_master, replica);
  EXPECT_EQ(redis.failovers()[0].why, "scheduled");
  EXPECT_THAT(seen, ElementsAre(std::pair{true_time(400ms), master},
                                std::pair{true_time(600ms), master},
                                std::pair{true_time(900ms), replica}));
}

// A client connected to the old master keeps talking to it; once the old
// master is demoted its writes are refused (READONLY), the client reconnects
// and, after the discovery delay, writes to the new master.
TEST(Deployment, ConnectedClientsFollowTheFailoverOnlyAfterReconnecting) {
  World world({.latency = FixedLatency{1ms}});
  Deployment redis(world, {.discovery_delay = 200ms});
  redis.add_shard({.name = "cache", .replicas = 1});
  redis.schedule_failover(true_time(500ms), "cache");
  Writer w;
  add_writer(world, redis, w, 300ms, 200ms, 5);  // at 300, 500, 700, 900, 1100ms
  world.run_until(true_time(2s));
  EXPECT_THAT(w.replies,
              ElementsAre("OK", "OK",
                          "(error) READONLY You can't write against a read only replica.",
                          "OK", "OK"));
}

// Three observers, the master killed: after `down_after` a majority sees it
// down and the replica is promoted; writes go on against the new master.
TEST(Deployment, SentinelsFailOverAKilledMaster) {
  World world({.latency = FixedLatency{1ms}});
  Deployment redis(world);
  const ProcessId master = redis.add_shard({.name = "cache", .replicas = 1});
  redis.add_sentinels("cache", {.observers = 3, .down_after = 500ms});
  world.schedule({true_time(1s), ProcessKill{master}});
  Writer w;
  add_writer(world, redis, w, 2500ms, 100ms, 1);
  world.run_until(true_time(3s));
  ASSERT_EQ(redis.failovers().size(), 1u);
  EXPECT_EQ(redis.failovers()[0].why, "sentinel");
  EXPECT_GE(redis.failovers()[0].at, true_time(1500ms));
  EXPECT_LE(redis.failovers()[0].at, true_time(1700ms));
  EXPECT_THAT(w.replies, ElementsAre("OK"));
}

// A minority that cannot reach the master (a partition of one observer)
// does not fail it over.
TEST(Deployment, AMinorityOfObserversDoesNotFailOver) {
  World world({.latency = FixedLatency{1ms}});
  Deployment redis(world);
  const ProcessId master = redis.add_shard({.name = "cache", .replicas = 1});
  redis.add_sentinels("cache", {.observers = 3, .down_after = 300ms});
  const ProcessId sentinel = *world.find_process("cache-sentinel-1");
  world.schedule({true_time(100ms), LinkPartition{{sentinel}, {master}}});
  world.run_until(true_time(2s));
  EXPECT_TRUE(redis.failovers().empty());
}

// A restarted master loading its AOF answers PING with LOADING, which
// Sentinel counts as alive (src/sentinel.c): 2s of loading, four times
// down_after, and no failover.
TEST(Deployment, SentinelsDoNotFailOverALoadingMaster) {
  World world({.latency = FixedLatency{1ms}});
  Deployment redis(world);
  const ProcessId master = redis.add_shard(
      {.name = "cache", .master = {.persistence = Persistence::aof_always, .load_time = 2s}, .replicas = 1});
  redis.add_sentinels("cache", {.observers = 3, .down_after = 500ms});
  Writer w;
  add_writer(world, redis, w, 100ms, 100ms, 1);  // something to load
  world.schedule({true_time(1s), ProcessKill{master}});
  world.schedule({true_time(1100ms), ProcessRestart{master}});
  world.run_until(true_time(4s));
  EXPECT_THAT(w.replies, ElementsAre("OK"));
  EXPECT_TRUE(redis.failovers().empty());
}

TEST(Deployment, MistakesAreReportedByName) {
  World world;
  Deployment redis(world);
  redis.add_shard({.name = "cache"});
  EXPECT_THROW(redis.add_shard({.name = "cache"}), std::invalid_argument);
  EXPECT_THROW(redis.schedule_failover(true_time(1s), "nope"), std::invalid_argument);
  EXPECT_THROW(redis.resolver("nope"), std::invalid_argument);
}

}  // namespace
}  // namespace locklab::sim::redis
