// hiredis::Backend when things go wrong: a frozen server (SIGSTOP: the kernel
// still completes handshakes, the commands wait), a closed port, a killed or
// restarted server under pooled connections, CLIENT KILL, no free slot. Each
// failure says whether the command may have been applied.
#include <gtest/gtest.h>
#include <signal.h>

#include <stop_token>
#include <thread>
#include <vector>

#include "test_util.hpp"

namespace locklab::hiredis_test {
namespace {

using hiredis::Backend;
using lock::NodeErrorKind;
using lock::Reply;

// Freezes a server (SIGSTOP) for the life of the object.
class Frozen {
 public:
  explicit Frozen(realserver::Server& server) : server_(server) { server_.freeze(); }
  ~Frozen() { server_.resume(); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  realserver::Server& server_;
};

TEST(HiredisFailures, FrozenServerTimesOutMaybeApplied) {
  realserver::Server server;
  Backend backend({tcp(server)});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  const Frozen frozen(server);
  const auto started = Backend::clock::now();
  auto r = backend.call(0, {"SET", "k", "v"}, in(300ms));
  const auto elapsed = Backend::clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NodeErrorKind::timed_out) << show(r);
  EXPECT_TRUE(r.error().maybe_applied) << show(r);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 800ms);
  EXPECT_EQ(backend.idle_connections(0), 0u) << "a timed-out connection must be closed";
  EXPECT_EQ(backend.stats().connections_dropped, 1u);
}

// A frozen server still completes the TCP handshake (the kernel does), but
// never answers the connection's INFO: the connect timeout ends it, and as
// the request was never written, it was not applied.
TEST(HiredisFailures, HandshakeOnAFrozenServerTimesOutNotApplied) {
  realserver::Server server;
  Backend backend({tcp(server)}, {.connect_timeout = 200ms});
  const Frozen frozen(server);
  const auto started = Backend::clock::now();
  auto r = backend.call(0, {"SET", "k", "v"}, in(5s));
  const auto elapsed = Backend::clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NodeErrorKind::timed_out) << show(r);
  EXPECT_FALSE(r.error().maybe_applied) << show(r);
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 700ms);
  EXPECT_EQ(backend.stats().requests, 0u);
}

// A deadline already past sends nothing: timed_out, not applied, and no
// slot was lacking.
TEST(HiredisFailures, PastDeadlineSendsNothing) {
  realserver::Server server;
  Backend backend({tcp(server)});
  const std::size_t nodes[] = {0, 0};
  for (auto& r : backend.fan_out(nodes, {"SET", "k", "v"}, Backend::clock::now() - 1ms)) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, NodeErrorKind::timed_out) << show(r);
    EXPECT_FALSE(r.error().maybe_applied);
  }
  EXPECT_EQ(backend.stats().requests, 0u);
  EXPECT_EQ(backend.stats().no_slot, 0u);
  EXPECT_EQ(backend.stats().connections_opened, 0u);
}

// The stop token wakes a fan-out waiting on a frozen server at once, long
// before its deadline.
TEST(HiredisFailures, StopTokenCancelsAFanOutPromptly) {
  realserver::Server a, b;
  Backend backend({tcp(a), tcp(b)});
  const std::size_t nodes[] = {0, 1};
  for (auto& r : backend.fan_out(nodes, {"PING"}, in(2s))) ASSERT_TRUE(r) << show(r);
  const Frozen frozen(b);
  std::stop_source stop;
  // Read the clock before the stopper starts its 150 ms: read after, a
  // descheduled test thread measured less than the stopper slept.
  const auto started = Backend::clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(150ms);
    stop.request_stop();
  });
  auto results = backend.fan_out(nodes, {"SET", "k", "v"}, in(10s), stop.get_token());
  const auto elapsed = Backend::clock::now() - started;
  stopper.join();
  ASSERT_TRUE(results[0]) << show(results[0]);
  EXPECT_EQ(*results[0], Reply::ok());
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().kind, NodeErrorKind::cancelled) << show(results[1]);
  EXPECT_TRUE(results[1].error().maybe_applied);
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, 650ms + 500ms);
}

TEST(HiredisFailures, ShutdownWakesAFanOut) {
  realserver::Server server;
  Backend backend({tcp(server)});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  const Frozen frozen(server);
  std::thread stopper([&] {
    std::this_thread::sleep_for(150ms);
    backend.shutdown();
  });
  const auto started = Backend::clock::now();
  auto r = backend.call(0, {"SET", "k", "v"}, in(10s));
  EXPECT_LT(Backend::clock::now() - started, 1s);
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NodeErrorKind::killed) << show(r);
  EXPECT_TRUE(r.error().maybe_applied);
}

// A lone request on a pooled connection waits in a blocking recv whose
// receive timeout is shorter than the deadline: a server that answers only
// after several such timeouts is still waited for, and answered.
TEST(HiredisFailures, ReplyLaterThanTheReceiveTimeoutIsStillTaken) {
  realserver::Server server;
  Backend backend({tcp(server)});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  server.freeze();
  std::thread resumer([&] {
    std::this_thread::sleep_for(1800ms);
    server.resume();
  });
  const auto started = Backend::clock::now();
  auto r = backend.call(0, {"SET", "k", "v"}, in(20s));
  const auto elapsed = Backend::clock::now() - started;
  resumer.join();
  ASSERT_TRUE(r) << show(r);
  EXPECT_EQ(*r, Reply::ok());
  EXPECT_GE(elapsed, 1800ms);
  EXPECT_LT(elapsed, 1800ms + 500ms + 500ms);
  EXPECT_EQ(backend.stats().connections_opened, 1u) << "the pooled connection carried it";
}

// A long deadline on a frozen server: the blocking wait wakes on its receive
// timeouts, and the last stretch is waited out exactly, not a tick late.
TEST(HiredisFailures, LongDeadlineOnAFrozenServerEndsOnTime) {
  realserver::Server server;
  Backend backend({tcp(server)});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  const Frozen frozen(server);
  const auto started = Backend::clock::now();
  auto r = backend.call(0, {"SET", "k", "v"}, started + 2500ms);
  const auto elapsed = Backend::clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NodeErrorKind::timed_out) << show(r);
  EXPECT_TRUE(r.error().maybe_applied) << show(r);
  EXPECT_GE(elapsed, 2500ms);
  EXPECT_LT(elapsed, 2500ms + 500ms);
}

// shutdown() wakes every call waiting on a frozen server at once, whether it
// waits in a blocking recv (a pooled connection) or in ppoll (a new one in
// its handshake), from any number of threads.
TEST(HiredisFailures, ShutdownWakesEveryThreadWaiting) {
  realserver::Server server;
  Backend backend({tcp(server)});
  constexpr int kThreads = 6;
  {
    std::vector<std::thread> warm;
    for (int t = 0; t < kThreads; ++t) {
      warm.emplace_back([&] { ASSERT_TRUE(backend.call(0, {"PING"}, in(5s))); });
    }
    for (auto& t : warm) t.join();
  }
  const Frozen frozen(server);
  std::vector<lock::NodeResult> results(kThreads);
  const auto started = Backend::clock::now();
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      results[static_cast<std::size_t>(t)] = backend.call(0, {"SET", "k", "v"}, in(30s));
    });
  }
  std::this_thread::sleep_for(300ms);
  backend.shutdown();
  for (auto& t : callers) t.join();
  EXPECT_LT(Backend::clock::now() - started, 300ms + 500ms);
  for (const auto& r : results) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, NodeErrorKind::killed) << show(r);
  }
}

// A caller the scheduler keeps off its core past a deadline (here: on_reply
// sleeping on the first node's reply) still takes what arrived meanwhile:
// the events of a round come before its timeouts. The slow node resumes
// while the caller sleeps; its reply, already in the socket when the caller
// looks again after the deadline, is a reply, not a timeout.
TEST(HiredisFailures, AReplyInBeforeALateCallerLooksIsTakenPastTheDeadline) {
  realserver::Server fast, slow;
  Backend backend({tcp(fast), tcp(slow)});
  const std::size_t nodes[] = {0, 1};
  for (auto& r : backend.fan_out(nodes, {"PING"}, in(2s))) ASSERT_TRUE(r) << show(r);
  slow.freeze();
  auto results = backend.fan_out(nodes, {"SET", "k", "v"}, in(300ms), {},
                                 [&](std::size_t i, const lock::NodeResult&) {
                                   if (i == 0) {
                                     slow.resume();
                                     std::this_thread::sleep_for(600ms);
                                   }
                                   return true;
                                 });
  slow.resume();
  ASSERT_TRUE(results[0]) << show(results[0]);
  ASSERT_TRUE(results[1]) << show(results[1]);
  EXPECT_EQ(*results[1], Reply::ok());
}

// The same for a handshake. Both nodes start frozen; the fast one resumes
// after 300 ms, by when the slow one's kernel has completed the connect and
// its INFO is written. On the fast node's reply the caller resumes the slow
// one and sleeps past the connect timeout; the INFO reply that arrived
// meanwhile completes the handshake, and the request then goes out and is
// answered within the call's deadline.
TEST(HiredisFailures, AHandshakeDoneBeforeALateCallerLooksIsNotAConnectTimeout) {
  realserver::Server fast, slow;
  Backend backend({tcp(fast), tcp(slow)}, {.connect_timeout = 1s});
  const std::size_t nodes[] = {0, 1};
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  fast.freeze();
  slow.freeze();
  std::thread resumer([&] {
    std::this_thread::sleep_for(300ms);
    fast.resume();
  });
  auto results = backend.fan_out(nodes, {"SET", "k", "v"}, in(10s), {},
                                 [&](std::size_t i, const lock::NodeResult&) {
                                   if (i == 0) {
                                     slow.resume();
                                     std::this_thread::sleep_for(1200ms);
                                   }
                                   return true;
                                 });
  resumer.join();
  slow.resume();
  ASSERT_TRUE(results[0]) << show(results[0]);
  ASSERT_TRUE(results[1]) << show(results[1]);
  EXPECT_EQ(*results[1], Reply::ok());
}

TEST(HiredisFailures, ClosedPortIsRefusedNotApplied) {
  Backend backend({{.host = "127.0.0.1", .port = realserver::free_port()}});
  auto r = backend.call(0, {"SET", "k", "v"}, in(2s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, NodeErrorKind::refused) << show(r);
  EXPECT_FALSE(r.error().maybe_applied);
  Backend missing_socket({{.unix_path = "/nonexistent/locklab/redis.sock"}});
  auto u = missing_socket.call(0, {"PING"}, in(2s));
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().kind, NodeErrorKind::refused) << show(u);
  EXPECT_FALSE(u.error().maybe_applied);
}

// With SIGPIPE at its default (which kills the process), a server killed
// under pooled connections, and requests kept coming: the process lives,
// and each request fails with a typed error.
TEST(HiredisFailures, KilledServerNeverRaisesSigpipe) {
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  ASSERT_EQ(current.sa_handler, SIG_DFL) << "the test needs the default SIGPIPE disposition";
  realserver::Server server;
  Backend backend({tcp(server)}, {.max_in_flight = 8});
  const std::size_t nodes[] = {0, 0, 0, 0};
  for (auto& r : backend.fan_out(nodes, {"PING"}, in(2s))) ASSERT_TRUE(r) << show(r);
  EXPECT_EQ(backend.idle_connections(0), 4u);
  server.kill();
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 20; ++i) {
    const std::string big(64 * 1024, 'x');  // more than one send's worth
    for (auto& r : backend.fan_out(nodes, {"SET", "k", big}, in(500ms))) {
      ASSERT_FALSE(r);
      EXPECT_TRUE(r.error().kind == NodeErrorKind::refused ||
                  r.error().kind == NodeErrorKind::connection_lost)
          << show(r);
    }
  }
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  EXPECT_EQ(current.sa_handler, SIG_DFL) << "the backend changed the disposition";
}

// A server restarted on the same port closed the pooled connection (FIN):
// the next request notices before sending and uses a fresh connection, so
// it succeeds instead of failing maybe-applied.
TEST(HiredisFailures, RestartedServerStaleConnectionIsReplaced) {
  realserver::Server server;
  Backend backend({tcp(server)});
  ASSERT_TRUE(backend.call(0, {"SET", "k", "v"}, in(2s)));
  ASSERT_EQ(backend.idle_connections(0), 1u);
  server.stop();
  server.start();
  auto r = backend.call(0, {"SET", "k", "after"}, in(2s));
  ASSERT_TRUE(r) << show(r);
  EXPECT_EQ(*r, Reply::ok());
  EXPECT_EQ(backend.stats().connections_opened, 2u);
  EXPECT_EQ(backend.stats().connections_dropped, 1u);
}

TEST(HiredisFailures, ClientKillStaleConnectionIsReplaced) {
  realserver::Server server;
  Backend backend({tcp(server)});
  Backend admin({tcp(server)});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  ASSERT_TRUE(admin.call(0, {"PING"}, in(2s)));
  auto killed = admin.call(0, {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}, in(2s));
  ASSERT_TRUE(killed) << show(killed);
  EXPECT_EQ(*killed, Reply::integer_reply(1));
  std::this_thread::sleep_for(50ms);  // the FIN on its way
  auto r = backend.call(0, {"PING"}, in(2s));
  ASSERT_TRUE(r) << show(r);
  EXPECT_EQ(*r, Reply::status("PONG"));
  EXPECT_EQ(backend.stats().connections_opened, 2u);
}

// One slot, taken by a request to a frozen server: the second request of the
// fan-out never finds one before the deadline and is never sent.
TEST(HiredisFailures, NoSlotWithOneInFlightAndAFrozenServer) {
  realserver::Server server;
  Backend backend({tcp(server)}, {.max_in_flight = 1});
  ASSERT_TRUE(backend.call(0, {"PING"}, in(2s)));
  const Frozen frozen(server);
  const std::size_t nodes[] = {0, 0};
  const auto started = Backend::clock::now();
  auto results = backend.fan_out(nodes, {"SET", "k", "v"}, in(300ms));
  EXPECT_LT(Backend::clock::now() - started, 800ms);
  ASSERT_FALSE(results[0]);
  EXPECT_EQ(results[0].error().kind, NodeErrorKind::timed_out) << show(results[0]);
  EXPECT_TRUE(results[0].error().maybe_applied);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().kind, NodeErrorKind::no_slot) << show(results[1]);
  EXPECT_FALSE(results[1].error().maybe_applied);
  EXPECT_EQ(backend.stats().no_slot, 1u);
  EXPECT_EQ(backend.stats().peak_in_flight, 1u);
  EXPECT_EQ(backend.in_flight(), 0u);
}

}  // namespace
}  // namespace locklab::hiredis_test
