// The simulated network: latency and ordering, partitions (hold, reset, one
// way), pauses, message delays, connection failures, deaths of peers, close
// and reset. Each test tells a short story and checks it line by line: what
// each process saw, and at which true time.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/world.hpp"
#include "story.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

using testing::got;
using testing::Story;

std::string outcome(const SimResult<Socket>& r) {
  return r ? "connected" : std::string(name_of(r.error()));
}

// A server that answers each message "m" with "re:m", one fiber per
// connection, and tells what it received (or why its recv ended).
std::function<void(Process&)> echo_server(Story& story) {
  return [&story](Process& p) {
    Listener listener = p.listen();
    for (;;) {
      SimResult<Socket> accepted = listener.accept();
      if (!accepted) return;
      auto socket = std::make_shared<Socket>(std::move(*accepted));
      p.spawn("connection", [&story, &p, socket] {
        for (;;) {
          SimResult<std::string> request = socket->recv();
          story(p, got(request));
          if (!request || !socket->send("re:" + *request)) return;
        }
      });
    }
  };
}

// Every message takes exactly the link's latency, and messages on one
// connection arrive in the order they were sent. Timeouts and lease margins
// are reasoned about against this, so it must be exact: with a fixed 1ms
// latency the handshake takes 2ms and a request/reply round trip 2ms, on the
// true time line and on the client's own clock (offset, but not drifting).
TEST(Network, MessagesArriveInOrderAfterTheLinkLatency) {
  Story story;
  Duration true_round_trip{};
  Duration local_round_trip{};
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    story(p, outcome(s));
    ASSERT_TRUE(s);
    const TrueTime true_sent = world.true_now();
    const LocalTime local_sent = p.now();
    ASSERT_TRUE(s->send("ping"));
    story(p, got(s->recv()));
    true_round_trip = world.true_now() - true_sent;
    local_round_trip = p.now() - local_sent;
    for (const char* m : {"a", "b", "c"}) ASSERT_TRUE(s->send(m));
    for (int i = 0; i < 3; ++i) story(p, got(s->recv()));
    (void)p.sleep_for(1h);  // stays connected
  };
  world.add_process({.name = "client", .clock = {.offset = 7ms}, .main = client});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("2ms client connected", "3ms server got ping", "4ms client got re:ping",
                          "5ms server got a", "5ms server got b", "5ms server got c",
                          "6ms client got re:a", "6ms client got re:b", "6ms client got re:c"));
  EXPECT_EQ(true_round_trip, 2ms);
  EXPECT_EQ(local_round_trip, 2ms);
}

// A hold-mode partition is TCP across a cable pulled out and plugged back:
// nothing passes while it lasts (the client's recv times out), but nothing is
// lost either. After heal the held messages are retransmitted, one latency
// later, in order, on the same connection, which never broke.
TEST(Network, HoldPartitionDeliversHeldMessagesInOrderAfterHeal) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(20ms)));
    ASSERT_TRUE(s->send("a"));
    ASSERT_TRUE(s->send("b"));
    story(p, got(s->recv(p.now() + 10ms)));
    story(p, got(s->recv()));
    story(p, got(s->recv()));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule(
      {true_time(10ms), LinkPartition{{client_id}, {server}, false, PartitionMode::hold}});
  world.schedule({true_time(50ms), LinkHeal{{client_id}, {server}, false}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines, ElementsAre("30ms client got timed_out", "51ms server got a",
                                       "51ms server got b", "52ms client got re:a",
                                       "52ms client got re:b"));
  EXPECT_EQ(world.trace().count(TraceKind::reset), 0u);
  EXPECT_EQ(world.network().open_connections(), 1u);
}

// A one-way partition cuts one direction only (an asymmetric network fault,
// the kind that lets a node hear the cluster while nobody hears it). The
// server's message to the client passes during the partition; the client's
// message to the server waits for the heal.
TEST(Network, OneWayPartitionBlocksOnlyOneDirection) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  auto server = [&](Process& p) {
    Listener listener = p.listen();
    SimResult<Socket> s = listener.accept();
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(20ms)));
    ASSERT_TRUE(s->send("down"));
    story(p, got(s->recv()));
  };
  const ProcessId server_id = world.add_process({.name = "server", .main = server});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server_id, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(20ms)));
    ASSERT_TRUE(s->send("up"));
    story(p, got(s->recv()));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule(
      {true_time(10ms), LinkPartition{{client_id}, {server_id}, true, PartitionMode::hold}});
  world.schedule({true_time(50ms), LinkHeal{{client_id}, {server_id}, true}});

  EXPECT_EQ(world.run_until(true_time(30ms)).status, RunStatus::reached_time);
  EXPECT_TRUE(world.network().blocked(client_id, server_id));
  EXPECT_FALSE(world.network().blocked(server_id, client_id));
  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_FALSE(world.network().blocked(client_id, server_id));
  EXPECT_THAT(story.lines, ElementsAre("21ms client got down", "51ms server got up"));
}

// A reset-mode partition is a network that answers with resets: both ends of
// every connection across it see connection_reset at the same instant, and a
// new connection across it fails at once with unreachable (no waiting for a
// deadline). Once healed, a new connection works.
TEST(Network, ResetPartitionResetsBothEndsAndRefusesNewConnections) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(s);
    story(p, got(s->recv()));
    story(p, "connect: " + outcome(p.connect(server, p.now() + 50ms)));
    ASSERT_TRUE(p.sleep_until(local_time(40ms)));
    SimResult<Socket> again = p.connect(server, p.now() + 50ms);
    story(p, "connect: " + outcome(again));
    ASSERT_TRUE(again);
    ASSERT_TRUE(again->send("again"));
    story(p, got(again->recv()));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule(
      {true_time(10ms), LinkPartition{{client_id}, {server}, false, PartitionMode::reset}});
  world.schedule({true_time(30ms), LinkHeal{{client_id}, {server}, false}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("10ms client got connection_reset", "10ms client connect: unreachable",
                          "10ms server got connection_reset", "42ms client connect: connected",
                          "43ms server got again", "44ms client got re:again"));
}

// A paused process (a long GC pause, a stopped VM) loses nothing: its kernel
// queues the requests, and after resume it processes them, in order, long
// after the client gave up waiting for the answers. This is the classic way a
// lock holder acts on a request whose sender has moved on.
TEST(Network, PausedServerProcessesQueuedRequestsAfterResume) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(20ms)));
    for (const char* request : {"r1", "r2"}) {
      ASSERT_TRUE(s->send(request));
      story(p, std::string("sent ") + request);
      story(p, got(s->recv(p.now() + 20ms)));
    }
    story(p, got(s->recv()));
    story(p, got(s->recv()));
    (void)p.sleep_for(1h);
  };
  world.add_process({.name = "client", .main = client});
  world.schedule({true_time(10ms), ProcessPause{server}});
  world.schedule({true_time(100ms), ProcessResume{server}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("20ms client sent r1", "40ms client got timed_out", "40ms client sent r2",
                          "60ms client got timed_out", "100ms server got r1", "100ms server got r2",
                          "101ms client got re:r1", "101ms client got re:r2"));
}

// The hiredis pattern: a client times out, closes and reconnects. Closing is
// graceful, so the request it sent on the old connection (held up here by a
// MessageDelay) is still delivered and processed by the server, after the
// request sent on the new connection. A lock server can thus act on a
// request its client believes failed.
TEST(Network, RequestOnAClosedConnectionIsStillProcessed) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> first = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->send("req 1"));
    story(p, got(first->recv(p.now() + 20ms)));
    first->close();
    SimResult<Socket> second = p.connect(server, p.now() + 50ms);
    story(p, outcome(second));
    ASSERT_TRUE(second);
    ASSERT_TRUE(second->send("req 2"));
    story(p, got(second->recv()));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  // After the handshake's SYN (sent at 0), before "req 1" (sent at 2ms).
  world.schedule({true_time(1ms), MessageDelay{client_id, server, 50ms, 1}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("22ms client got timed_out", "24ms client connected",
                          "25ms server got req 2", "26ms client got re:req 2",
                          "53ms server got req 1", "53ms server got connection_closed"));
}

// How a connect fails tells a client what happened to the server: a host
// with nothing listening, or whose process was killed (the machine is up),
// answers at once with connection_refused (one round trip); a crashed machine
// answers nothing, so the connect runs into its deadline. A failed attempt
// leaves no connection behind.
TEST(Network, ConnectFailsByRefusalOrTimeout) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  auto listen_forever = [](Process& p) {
    Listener listener = p.listen();
    (void)listener.accept();
  };
  const ProcessId deaf =
      world.add_process({.name = "deaf", .main = [](Process& p) { (void)p.sleep_for(1h); }});
  const ProcessId killed = world.add_process({.name = "killed", .main = listen_forever});
  const ProcessId crashed = world.add_process({.name = "crashed", .main = listen_forever});
  auto client = [&](Process& p) {
    ASSERT_TRUE(p.sleep_until(local_time(10ms)));
    for (ProcessId target : {deaf, killed, crashed}) {
      SimResult<Socket> s = p.connect(target, p.now() + 50ms);
      story(p, fmt::format("connect {}: {}", world.process(target).name(), outcome(s)));
    }
  };
  world.add_process({.name = "client", .main = client});
  world.schedule({true_time(5ms), ProcessKill{killed}});
  world.schedule({true_time(5ms), MachineCrash{crashed}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines, ElementsAre("12ms client connect deaf: connection_refused",
                                       "14ms client connect killed: connection_refused",
                                       "64ms client connect crashed: timed_out"));
  EXPECT_EQ(world.network().open_connections(), 0u);
}

// When a process is killed its machine's kernel closes its connections as
// on exit: the client had read everything, so a FIN, and the peer learns of
// the death one latency later as the end of the stream. (With input left
// unread it would be a reset: close_on_death_test.cpp has every case.)
TEST(Network, KilledPeerClosesTheConnection) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(s);
    (void)s->recv();
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule({true_time(10ms), ProcessKill{client_id}});

  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_THAT(story.lines, ElementsAre("11ms server got connection_closed"));
}

// A crashed machine says nothing: the peer's request vanishes and its recv
// times out; the connection still looks open from its side. Once the machine
// is back (a new incarnation of the process), its kernel answers the next
// packet on the old connection with a reset.
TEST(Network, CrashedPeerIsSilentUntilItRestartsThenResets) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(20ms)));
    ASSERT_TRUE(s->send("a"));
    story(p, "sent a");
    story(p, got(s->recv(p.now() + 30ms)));
    ASSERT_TRUE(p.sleep_until(local_time(70ms)));
    ASSERT_TRUE(s->send("b"));
    story(p, "sent b");
    story(p, got(s->recv()));
    (void)p.sleep_for(1h);
  };
  world.add_process({.name = "client", .main = client});
  world.schedule({true_time(10ms), MachineCrash{server}});
  world.schedule({true_time(60ms), ProcessRestart{server}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines, ElementsAre("20ms client sent a", "50ms client got timed_out",
                                       "70ms client sent b", "72ms client got connection_reset"));
  EXPECT_EQ(world.process(server).incarnation(), 2u);
}

// Graceful close is an end of stream, not a loss: the peer reads every byte
// sent before the close, then connection_closed (and keeps reading that).
// The closing side's own socket reports connection_closed too.
TEST(Network, GracefulCloseDeliversEverythingThenEndOfStream) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  auto server = [&](Process& p) {
    Listener listener = p.listen();
    SimResult<Socket> s = listener.accept();
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(10ms)));
    for (int i = 0; i < 5; ++i) story(p, got(s->recv()));
  };
  const ProcessId server_id = world.add_process({.name = "server", .main = server});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server_id, p.now() + 50ms);
    ASSERT_TRUE(s);
    for (const char* m : {"a", "b", "c"}) ASSERT_TRUE(s->send(m));
    s->close();
    story(p, got(s->recv()));
    (void)p.sleep_for(1h);
  };
  world.add_process({.name = "client", .main = client});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("2ms client got connection_closed", "10ms server got a",
                          "10ms server got b", "10ms server got c",
                          "10ms server got connection_closed",
                          "10ms server got connection_closed"));
  EXPECT_EQ(world.trace().count(TraceKind::reset), 0u);
}

// A ConnectionReset fault (a middlebox dropping state, an idle timeout)
// resets every connection between the two processes, both ends at the same
// instant, and leaves the client's other connections alone.
TEST(Network, ConnectionResetFaultResetsOnlyThatPair) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  const ProcessId bystander = world.add_process({.name = "bystander", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> to_server = p.connect(server, p.now() + 50ms);
    SimResult<Socket> to_bystander = p.connect(bystander, p.now() + 50ms);
    ASSERT_TRUE(to_server);
    ASSERT_TRUE(to_bystander);
    story(p, got(to_server->recv()));
    ASSERT_TRUE(to_bystander->send("still there?"));
    story(p, got(to_bystander->recv()));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule({true_time(10ms), ConnectionReset{server, client_id}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("10ms client got connection_reset", "10ms server got connection_reset",
                          "11ms bystander got still there?", "12ms client got re:still there?"));
  EXPECT_EQ(world.trace().count(TraceKind::connection_reset_fault), 1u);
}

// A reset loses what is in flight, never what was already delivered: a
// paused server resumes and still reads the request that reached it before
// the ConnectionReset, then sees the reset, once, and the end of the stream
// after it (Linux's ECONNRESET, then 0).
TEST(Network, ResetKeepsDeliveredBytesAndIsReportedOnce) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  auto server = [&](Process& p) {
    Listener listener = p.listen();
    SimResult<Socket> s = listener.accept();
    ASSERT_TRUE(s);
    ASSERT_TRUE(p.sleep_until(local_time(10ms)));
    for (int i = 0; i < 3; ++i) story(p, got(s->recv()));
  };
  const ProcessId server_id = world.add_process({.name = "server", .main = server});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server_id, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->send("delivered"));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule({true_time(2ms), ProcessPause{server_id}});
  world.schedule({true_time(5ms), ConnectionReset{client_id, server_id}});
  world.schedule({true_time(20ms), ProcessResume{server_id}});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines,
              ElementsAre("20ms server got delivered", "20ms server got connection_reset",
                          "20ms server got connection_closed"));
}

// close() with input left unread resets the connection, as Linux does: the
// peer reads what reached it and then connection_reset, not the end of the
// stream it would read after a plain close.
TEST(Network, CloseWithUnreadInputResets) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->send("a"));
    ASSERT_TRUE(p.sleep_until(local_time(10ms)));  // the reply "re:a" arrives unread
    s->close();
    (void)p.sleep_for(1h);
  };
  world.add_process({.name = "client", .main = client});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines, ElementsAre("3ms server got a", "11ms server got connection_reset"));
}

// A latency set for one link (from, to) applies to that direction only: here
// the client's messages take 5ms to reach the server, the answers 1ms to come
// back. The handshake pays it once (SYN slow, SYN-ACK fast).
TEST(Network, PerLinkLatencyAppliesToThatDirectionOnly) {
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server = world.add_process({.name = "server", .main = echo_server(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server, p.now() + 50ms);
    story(p, outcome(s));
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->send("ping"));
    story(p, got(s->recv()));
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.network().set_latency(client_id, server, FixedLatency{5ms});

  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines, ElementsAre("6ms client connected", "11ms server got ping",
                                       "12ms client got re:ping"));
}

}  // namespace
}  // namespace locklab::sim
