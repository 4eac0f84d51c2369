// Replication between simulated redis-servers: lag that follows the network,
// READONLY replicas, WAIT, and the writes a failover loses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "locklab/sim/redis/client.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::sim::redis {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

// A client process that sends timed commands to nodes and records the replies
// as redis-cli shows them (or the network error). A call that finds its
// connection reset by a node that restarted is tried once more.
struct Ops {
  struct Step {
    Duration at;
    ProcessId node;
    Argv argv;
  };
  std::vector<Step> steps;
  std::vector<std::string> replies;
};

void add_ops(World& world, Ops& ops, std::string name = "ops") {
  world.add_process({.name = std::move(name), .main = [&ops](Process& p) {
                       std::map<ProcessId, std::unique_ptr<Client>> clients;
                       for (const Ops::Step& step : ops.steps) {
                         (void)p.sleep_until(LocalTime{step.at});
                         auto& client = clients[step.node];
                         if (!client) client = std::make_unique<Client>(p, step.node);
                         SimResult<Reply> r = client->call(step.argv, p.now() + 500ms);
                         // The connection broke (a killed or restarted node):
                         // one more try on a new connection.
                         if (!r && (r.error() == SimError::connection_reset ||
                                    r.error() == SimError::connection_closed)) {
                           r = client->call(step.argv, p.now() + 500ms);
                         }
                         ops.replies.push_back(r ? to_display(*r) : std::string(sim::name_of(r.error())));
                       }
                     }});
}

struct Pair {
  World world{{.latency = FixedLatency{1ms}}};
  ProcessId master = world.add_process(redis_server("master"));
  ProcessId replica = world.add_process(redis_server("replica", {.replica_of = "master"}));
};

// A write reaches the replica one link latency after the master applied it:
// the master applies at 101ms (request latency), the replica at 102ms.
TEST(Replication, ReplicaAppliesWritesOneLatencyLater) {
  Pair c;
  Ops writer{{{10ms, c.master, {"PING"}}, {100ms, c.master, {"SET", "k", "v"}}}};
  Ops early{{{10ms, c.replica, {"PING"}}, {100ms + 500us, c.replica, {"GET", "k"}}}};
  Ops late{{{10ms, c.replica, {"PING"}}, {101ms + 500us, c.replica, {"GET", "k"}}}};
  add_ops(c.world, writer, "writer");
  add_ops(c.world, early, "early");  // its GET reaches the replica at 101.5ms
  add_ops(c.world, late, "late");    // and this one at 102.5ms
  c.world.run_until(true_time(1s));
  EXPECT_THAT(writer.replies, ElementsAre("PONG", "OK"));
  EXPECT_THAT(early.replies, ElementsAre("PONG", "(nil)"));
  EXPECT_THAT(late.replies, ElementsAre("PONG", "\"v\""));
}

TEST(Replication, ReplicaRefusesClientWrites) {
  Pair c;
  Ops ops{{{100ms, c.replica, {"SET", "k", "v"}}, {100ms, c.replica, {"WAIT", "0", "0"}}}};
  add_ops(c.world, ops);
  c.world.run_until(true_time(1s));
  ASSERT_EQ(ops.replies.size(), 2u);
  EXPECT_EQ(ops.replies[0], "(error) READONLY You can't write against a read only replica.");
  EXPECT_THAT(ops.replies[1], ::testing::StartsWith("(error) ERR WAIT cannot be used with replica"));
}

// WAIT counts the replicas that acknowledged the caller's latest write; with
// the link cut it returns 0 when its timeout (node clock) runs out — which
// does not mean the replica never gets the write.
TEST(Replication, WaitCountsAcknowledgements) {
  Pair c;
  Ops ops{{{100ms, c.master, {"SET", "a", "1"}},
           {100ms, c.master, {"WAIT", "1", "100"}},
           {300ms, c.master, {"SET", "b", "2"}},
           {300ms, c.master, {"WAIT", "1", "100"}},
           {600ms, c.replica, {"GET", "b"}}}};
  add_ops(c.world, ops);
  c.world.schedule({true_time(250ms), LinkPartition{{c.master}, {c.replica}, false}});
  c.world.schedule({true_time(500ms), LinkHeal{{c.master}, {c.replica}, false}});
  c.world.run_until(true_time(1s));
  EXPECT_THAT(ops.replies, ElementsAre("OK", "(integer) 1", "OK", "(integer) 0", "\"2\""));
}

// Failover loses acknowledged writes the master had not yet sent: with the
// link to the replica cut, a write is acknowledged to the client, then the
// replica is promoted and the write is gone.
TEST(Replication, FailoverLosesUnreplicatedWrites) {
  Pair c;
  Ops ops{{{100ms, c.master, {"SET", "before", "1"}},
           {300ms, c.master, {"SET", "after", "2"}},
           {400ms, c.replica, {"REPLICAOF", "NO", "ONE"}},
           {450ms, c.replica, {"GET", "before"}},
           {450ms, c.replica, {"GET", "after"}},
           {450ms, c.replica, {"SET", "new", "3"}}}};
  add_ops(c.world, ops);
  c.world.schedule({true_time(200ms), LinkPartition{{c.master}, {c.replica}, true}});
  c.world.run_until(true_time(1s));
  EXPECT_THAT(ops.replies, ElementsAre("OK", "OK", "OK", "\"1\"", "(nil)", "OK"));
}

// A write already sent on the replication link is applied after the replica
// resumes from a pause.
TEST(Replication, PausedReplicaAppliesTheStreamOnResume) {
  Pair c;
  Ops ops{{{200ms, c.master, {"SET", "k", "v"}}, {600ms, c.replica, {"GET", "k"}}}};
  add_ops(c.world, ops);
  c.world.schedule({true_time(100ms), ProcessPause{c.replica}});
  c.world.schedule({true_time(500ms), ProcessResume{c.replica}});
  c.world.run_until(true_time(1s));
  EXPECT_THAT(ops.replies, ElementsAre("OK", "\"v\""));
}

// A write delivered to a frozen replica survives its master's kill: the
// master had read everything, so its kernel closed the link with a FIN, and
// the replica applies the write when it resumes, before it sees the end of
// the stream. Promoted, it has the key (as redis-server 7.0 does on Linux).
TEST(Replication, FrozenReplicaAppliesADeliveredWriteAfterItsMasterIsKilled) {
  Pair c;
  Ops ops{{{200ms, c.master, {"SET", "k", "v"}},
           {600ms, c.replica, {"REPLICAOF", "NO", "ONE"}},
           {650ms, c.replica, {"GET", "k"}}}};
  add_ops(c.world, ops);
  c.world.schedule({true_time(100ms), ProcessPause{c.replica}});
  c.world.schedule({true_time(300ms), ProcessKill{c.master}});
  c.world.schedule({true_time(500ms), ProcessResume{c.replica}});
  c.world.run_until(true_time(1s));
  EXPECT_THAT(ops.replies, ElementsAre("OK", "OK", "\"v\""));
}

// After the master restarts (empty, no persistence), the replica resyncs
// from it and follows the new stream; keys expire on the replica only when
// the master's DEL arrives.
TEST(Replication, ReplicaResyncsAfterTheMasterRestarts) {
  Pair c;
  Ops ops{{{100ms, c.master, {"SET", "old", "1"}},
           {800ms, c.master, {"SET", "new", "2"}},
           {900ms, c.replica, {"GET", "old"}},
           {900ms, c.replica, {"GET", "new"}}}};
  add_ops(c.world, ops);
  c.world.schedule({true_time(300ms), ProcessKill{c.master}});
  c.world.schedule({true_time(400ms), ProcessRestart{c.master}});
  c.world.run_until(true_time(1s));
  EXPECT_THAT(ops.replies, ElementsAre("OK", "OK", "(nil)", "\"2\""));
}

// CLIENT KILL of the replication link, from either end, closes it as Redis
// does; the replica reconnects (after its 100 ms retry pause), takes a full
// copy and follows the stream again (the GET at 220 ms finds the link still
// down: without the kill, "b" would be there from 212 ms). TYPE master names the link on the
// replica, TYPE replica on the master; neither end has the other kind.
TEST(Replication, ClientKillOfTheLinkFromEitherEndIsFollowedByAResync) {
  Pair c;
  Ops ops{{{10ms, c.master, {"SET", "a", "1"}},
           {100ms, c.master, {"CLIENT", "KILL", "TYPE", "master"}},
           {110ms, c.replica, {"CLIENT", "KILL", "TYPE", "replica"}},
           {200ms, c.master, {"CLIENT", "KILL", "TYPE", "replica"}},
           {210ms, c.master, {"SET", "b", "2"}},
           {220ms, c.replica, {"GET", "b"}},
           {500ms, c.replica, {"GET", "b"}},
           {600ms, c.replica, {"CLIENT", "KILL", "TYPE", "master"}},
           {610ms, c.master, {"SET", "c", "3"}},
           {900ms, c.replica, {"GET", "a"}},
           {900ms, c.replica, {"GET", "c"}}}};
  add_ops(c.world, ops);
  c.world.run_until(true_time(2s));
  EXPECT_THAT(ops.replies, ElementsAre("OK", "(integer) 0", "(integer) 0", "(integer) 1", "OK",
                                       "(nil)", "\"2\"", "(integer) 1", "OK", "\"1\"", "\"3\""));
}

}  // namespace
}  // namespace locklab::sim::redis
