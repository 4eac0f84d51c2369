// hiredis::Backend against real redis-server processes: round trips over TCP
// and a unix socket, the pool, fan_out's cost and threads, the NOSCRIPT
// fallback on the same connection, SELECT, time, randomness, tasks, fork.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <stop_token>
#include <thread>

#include "locklab/lock/backend.hpp"
#include "test_util.hpp"

namespace locklab::hiredis_test {
namespace {

using hiredis::Backend;
using lock::Reply;

static_assert(lock::Backend<Backend>);

// The one path every lock takes: a command out, its reply back, and the
// connection kept for the next request.
TEST(HiredisBackend, SetGetRoundTripOverTcpReusesTheConnection) {
  realserver::Server server;
  Backend backend({tcp(server)});
  EXPECT_EQ(backend.node_name(0), "127.0.0.1:" + std::to_string(server.port()));
  const std::string value("v\0\r\nalue", 8);  // binary-safe
  auto set = backend.call(0, {"SET", "k", value, "PX", "10000"}, in(2s));
  ASSERT_TRUE(set) << show(set);
  EXPECT_EQ(*set, Reply::ok());
  auto get = backend.call(0, {"GET", "k"}, in(2s));
  ASSERT_TRUE(get) << show(get);
  EXPECT_EQ(*get, Reply::bulk(value));
  EXPECT_EQ(backend.stats().connections_opened, 1u);
  EXPECT_EQ(backend.stats().requests, 2u);
  EXPECT_EQ(backend.idle_connections(0), 1u);
  auto err = backend.call(0, {"INCR", "k"}, in(2s));
  ASSERT_TRUE(err) << show(err);
  EXPECT_TRUE(err->is_error()) << *err;  // an error reply is a reply
  EXPECT_EQ(backend.stats().connections_opened, 1u);
}

TEST(HiredisBackend, SetGetRoundTripOverUnixSocket) {
  realserver::Server server({.unix_socket = true});
  Backend backend({{.unix_path = server.unix_path()}});
  EXPECT_EQ(backend.node_name(0), "unix:" + server.unix_path());
  auto set = backend.call(0, {"SET", "k", "u"}, in(2s));
  ASSERT_TRUE(set) << show(set);
  auto get = backend.call(0, {"GET", "k"}, in(2s));
  ASSERT_TRUE(get) << show(get);
  EXPECT_EQ(*get, Reply::bulk("u"));
}

// Three servers each sleeping 300 ms: the fan-out costs one sleep, not three,
// and runs on the calling thread: no thread is added.
TEST(HiredisBackend, FanOutCostsTheSlowestAndAddsNoThreads) {
  realserver::ServerOptions debug{.extra_args = {"--enable-debug-command", "yes"}};
  realserver::Server a(debug), b(debug), c(debug);
  Backend backend({tcp(a), tcp(b), tcp(c)});
  const std::size_t nodes[] = {0, 1, 2};
  // Warm the pools so the timing is the requests', not the connects'.
  for (auto& r : backend.fan_out(nodes, {"PING"}, in(2s))) ASSERT_TRUE(r) << show(r);
  const int threads_before = thread_count();
  std::vector<std::size_t> order;
  const auto started = Backend::clock::now();
  auto results = backend.fan_out(nodes, {"DEBUG", "SLEEP", "0.3"}, in(5s), {},
                                 [&](std::size_t i, const lock::NodeResult&) {
                                   order.push_back(i);
                                   return true;
                                 });
  const auto elapsed = Backend::clock::now() - started;
  EXPECT_EQ(thread_count(), threads_before);
  for (auto& r : results) {
    ASSERT_TRUE(r) << show(r);
    EXPECT_EQ(*r, Reply::ok());
  }
  EXPECT_EQ(order.size(), 3u);  // on_reply once per node, on this thread
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 800ms) << "the three sleeps ran one after another";
  EXPECT_EQ(backend.stats().connections_opened, 3u);
}

// on_reply returning false ends the wait at once: the frozen node's entry is
// timed_out, maybe applied (its request went out), and its connection closed.
TEST(HiredisBackend, OnReplyFalseStopsTheWait) {
  realserver::Server fast, slow;
  Backend backend({tcp(fast), tcp(slow)});
  const std::size_t nodes[] = {0, 1};
  for (auto& r : backend.fan_out(nodes, {"PING"}, in(2s))) ASSERT_TRUE(r) << show(r);
  slow.freeze();
  int calls = 0;
  const auto started = Backend::clock::now();
  auto results = backend.fan_out(nodes, {"SET", "k", "v"}, in(10s), {},
                                 [&](std::size_t i, const lock::NodeResult&) {
                                   ++calls;
                                   EXPECT_EQ(i, 0u);
                                   return false;
                                 });
  const auto elapsed = Backend::clock::now() - started;
  slow.resume();
  EXPECT_EQ(calls, 1);
  EXPECT_LT(elapsed, 1s);
  ASSERT_TRUE(results[0]) << show(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().kind, lock::NodeErrorKind::timed_out) << show(results[1]);
  EXPECT_TRUE(results[1].error().maybe_applied);
  EXPECT_EQ(backend.idle_connections(1), 1u) << "pooled, owing the SET's reply";
  EXPECT_EQ(backend.in_flight(), 0u);
}

// A connection left owing a reply is reused: the owed reply is read and
// discarded first, so each later request gets its own reply, and the
// abandoned command ran exactly once. While the owed reply has not come, a
// request pipelined behind it waits for it; if neither comes in time, the
// connection is closed as after any timeout.
TEST(HiredisBackend, AnAbandonedRequestsReplyIsDiscardedBeforeTheNextOnes) {
  realserver::Server fast, slow;
  Backend backend({tcp(fast), tcp(slow)});
  const std::size_t nodes[] = {0, 1};
  for (auto& r : backend.fan_out(nodes, {"PING"}, in(2s))) ASSERT_TRUE(r) << show(r);
  const std::uint64_t opened = backend.stats().connections_opened;

  slow.freeze();
  auto first = backend.fan_out(nodes, {"INCR", "n"}, in(10s), {},
                               [](std::size_t, const lock::NodeResult&) { return false; });
  ASSERT_FALSE(first[1]);
  // Still frozen: the next request queues behind the owed reply and times out.
  auto stuck = backend.call(1, {"INCR", "n"}, in(300ms));
  ASSERT_FALSE(stuck);
  EXPECT_EQ(stuck.error().kind, lock::NodeErrorKind::timed_out) << show(stuck);
  EXPECT_EQ(backend.idle_connections(1), 0u) << "a timed-out connection is closed";
  slow.resume();

  ASSERT_TRUE(backend.call(1, {"PING"}, in(5s))) << "a fresh pooled connection to the slow node";

  // Owed, and the reply arrives before the connection is reused: drained
  // from the pool's check.
  slow.freeze();
  (void)backend.fan_out(nodes, {"INCR", "m"}, in(10s), {},
                        [](std::size_t, const lock::NodeResult&) { return false; });
  EXPECT_EQ(backend.idle_connections(1), 1u) << "pooled, owing the INCR's reply";
  slow.resume();
  std::this_thread::sleep_for(200ms);
  const std::uint64_t before_reuse = backend.stats().connections_opened;
  auto value = backend.call(1, {"GET", "m"}, in(5s));
  ASSERT_TRUE(value) << show(value);
  EXPECT_EQ(*value, lock::Reply::bulk("1")) << "the owed INCR's reply must not answer the GET";
  EXPECT_EQ(backend.stats().connections_opened, before_reuse) << "the pooled connection was reused";

  // Owed, and the next request goes out at once: its reply comes after the
  // owed one, which is skipped on the way.
  slow.freeze();
  (void)backend.fan_out(nodes, {"INCR", "m"}, in(10s), {},
                        [](std::size_t, const lock::NodeResult&) { return false; });
  slow.resume();
  auto incr = backend.call(1, {"INCR", "m"}, in(5s));
  ASSERT_TRUE(incr) << show(incr);
  EXPECT_EQ(*incr, lock::Reply::integer_reply(3));
  EXPECT_EQ(backend.stats().connections_opened, before_reuse) << "the pooled connection was reused";
  // The frozen first round: both INCRs of n ran once each after resume.
  auto n = backend.call(1, {"GET", "n"}, in(5s));
  ASSERT_TRUE(n) << show(n);
  EXPECT_EQ(*n, lock::Reply::bulk("2"));
  EXPECT_GT(backend.stats().connections_opened, opened);
}

// Many threads, two slots: never more than two requests out, and every
// request gets a slot in time (each waits for one, up to its deadline).
TEST(HiredisBackend, InFlightBoundHoldsAcrossThreads) {
  realserver::Server server;
  Backend backend({tcp(server)}, {.max_in_flight = 2});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!backend.call(0, {"INCR", "n"}, in(5s))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(backend.stats().peak_in_flight, 2u);
  EXPECT_LE(backend.stats().connections_opened, 2u);
  auto n = backend.call(0, {"GET", "n"}, in(2s));
  ASSERT_TRUE(n) << show(n);
  EXPECT_EQ(*n, Reply::bulk("400"));
}

// After SCRIPT FLUSH the EVALSHA answers NOSCRIPT; the EVAL fallback goes out
// on the same connection, and only its reply is seen.
TEST(HiredisBackend, NoscriptFallbackOnTheSameConnection) {
  realserver::Server server;
  Backend backend({tcp(server)});
  Backend admin({tcp(server)});
  const std::string script = "return ARGV[1]";
  auto sha = admin.call(0, {"SCRIPT", "LOAD", script}, in(2s));
  ASSERT_TRUE(sha && sha->type == lock::ReplyType::bulk) << show(sha);
  const std::size_t node[] = {0};
  auto first = backend.fan_out(node, {"EVALSHA", sha->str, "0", "one"}, in(2s), {}, {},
                               {"EVAL", script, "0", "one"});
  ASSERT_TRUE(first[0]) << show(first[0]);
  EXPECT_EQ(*first[0], Reply::bulk("one"));
  const auto opened = backend.stats().connections_opened;
  const auto requests = backend.stats().requests;
  ASSERT_TRUE(admin.call(0, {"SCRIPT", "FLUSH"}, in(2s)));
  std::vector<Reply> seen;
  auto second = backend.fan_out(node, {"EVALSHA", sha->str, "0", "two"}, in(2s), {},
                                [&](std::size_t, const lock::NodeResult& r) {
                                  if (r) seen.push_back(*r);
                                  return true;
                                },
                                {"EVAL", script, "0", "two"});
  ASSERT_TRUE(second[0]) << show(second[0]);
  EXPECT_EQ(*second[0], Reply::bulk("two"));
  EXPECT_EQ(seen, std::vector<Reply>{Reply::bulk("two")});  // never the NOSCRIPT
  EXPECT_EQ(backend.stats().connections_opened, opened);
  EXPECT_EQ(backend.stats().requests, requests + 2);  // EVALSHA, then EVAL
}

TEST(HiredisBackend, SelectsTheEndpointsDatabase) {
  realserver::Server server;
  Backend db3({{.host = "127.0.0.1", .port = server.port(), .db = 3}});
  Backend db0({tcp(server)});
  ASSERT_TRUE(db3.call(0, {"SET", "k", "three"}, in(2s)));
  auto in_db0 = db0.call(0, {"GET", "k"}, in(2s));
  ASSERT_TRUE(in_db0) << show(in_db0);
  EXPECT_TRUE(in_db0->is_nil()) << *in_db0;
  auto direct = db0.call(0, {"SELECT", "3"}, in(2s));
  ASSERT_TRUE(direct);
  auto in_db3 = db3.call(0, {"GET", "k"}, in(2s));
  ASSERT_TRUE(in_db3) << show(in_db3);
  EXPECT_EQ(*in_db3, Reply::bulk("three"));
  auto bad = Backend({{.host = "127.0.0.1", .port = server.port(), .db = 99}})
                 .call(0, {"PING"}, in(2s));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, lock::NodeErrorKind::misconfigured) << show(bad);
  EXPECT_FALSE(bad.error().maybe_applied);
  EXPECT_NE(bad.error().detail.find("SELECT 99"), std::string::npos) << show(bad);
}

TEST(HiredisBackend, RandomIsUnrepeatedAndSleepWakesOnStop) {
  realserver::Server server;
  Backend backend({tcp(server)});
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(backend.random_u64());
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(backend.sleep_until(in(20ms)));
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  const auto started = Backend::clock::now();
  EXPECT_FALSE(backend.sleep_until(Backend::time_point::max(), stop.get_token()));
  EXPECT_LT(Backend::clock::now() - started, 600ms);
  stopper.join();
}

// Tasks run on the backend's threads; shutdown() wakes their sleeps and
// Event waits and joins them; no task starts after it, nor beyond max_tasks.
TEST(HiredisBackend, SpawnedTasksAreJoinedAtShutdown) {
  realserver::Server server;
  Backend backend({tcp(server)}, {.max_tasks = 2});
  Backend::Event never(backend);
  std::atomic<int> finished{0};
  std::atomic<bool> slept_through{true};
  std::atomic<int> waited{-1};
  ASSERT_TRUE(backend.spawn("sleeper", [&] {
    slept_through = backend.sleep_until(Backend::time_point::max());
    ++finished;
  }));
  ASSERT_TRUE(backend.spawn("waiter", [&] {
    waited = static_cast<int>(never.wait_until(Backend::time_point::max()));
    ++finished;
  }));
  EXPECT_FALSE(backend.spawn("third", [] {})) << "max_tasks = 2";
  std::this_thread::sleep_for(50ms);
  const auto started = Backend::clock::now();
  backend.shutdown();
  EXPECT_LT(Backend::clock::now() - started, 600ms);
  EXPECT_EQ(finished.load(), 2);  // joined: both have run to the end
  EXPECT_FALSE(slept_through.load());
  EXPECT_EQ(waited.load(), static_cast<int>(lock::WaitStatus::cancelled));
  EXPECT_FALSE(backend.spawn("late", [] {}));
  EXPECT_EQ(backend.stats().tasks_spawned, 2u);
  auto refused = backend.call(0, {"PING"}, in(1s));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, lock::NodeErrorKind::killed);
  EXPECT_FALSE(refused.error().maybe_applied);
  backend.shutdown();  // idempotent
}

// A child after fork() never talks over the parent's pooled socket: it opens
// its own, and the parent's connection is still good afterwards. The child's
// shutdown wakes nothing of the parent's (its sleeping task sleeps on, its
// requests are not killed) and joins none of the parent's threads.
TEST(HiredisBackend, ForkChildUsesItsOwnConnectionsAndShutdown) {
  realserver::Server server;
  Backend backend({tcp(server)});
  std::atomic<bool> woken{false};
  ASSERT_TRUE(backend.spawn("sleeper", [&] {
    (void)backend.sleep_until(Backend::time_point::max());
    woken = true;
  }));
  auto id = backend.call(0, {"CLIENT", "ID"}, in(2s));
  ASSERT_TRUE(id && id->type == lock::ReplyType::integer) << show(id);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto child_id = backend.call(0, {"CLIENT", "ID"}, in(2s));
    const bool ok = child_id && child_id->type == lock::ReplyType::integer &&
                    child_id->integer != id->integer &&
                    backend.stats().connections_opened == 2;
    backend.shutdown();  // must neither hang (joining) nor touch the parent
    ::_exit(ok ? 0 : 1);  // no destructors: the parent owns the rest
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child reused the parent's socket or failed";
  auto again = backend.call(0, {"CLIENT", "ID"}, in(2s));
  ASSERT_TRUE(again) << show(again) << " (the child's shutdown reached the parent?)";
  EXPECT_EQ(*again, *id) << "the parent's pooled connection changed";
  EXPECT_EQ(backend.stats().connections_opened, 1u);
  EXPECT_FALSE(woken.load()) << "the child's shutdown woke the parent's task";
  backend.shutdown();
  EXPECT_TRUE(woken.load());
}

// A child made by fork() never draws what its parent buffered: random_u64
// serves several draws from one getrandom call per thread, and a child that
// kept its copy of that buffer would hand out its parent's next lock tokens.
TEST(HiredisBackend, ForkChildDrawsRandomOfItsOwn) {
  hiredis::Endpoint nowhere;  // never connected to: no server needed
  Backend backend({nowhere});
  (void)backend.random_u64();         // the buffer now holds the next draws
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::uint64_t draws[4];
    for (auto& d : draws) d = backend.random_u64();
    const bool ok = ::write(fds[1], draws, sizeof draws) == static_cast<ssize_t>(sizeof draws);
    ::_exit(ok ? 0 : 1);  // no destructors: the parent owns the rest
  }
  ::close(fds[1]);
  std::set<std::uint64_t> parent;
  for (int i = 0; i < 4; ++i) parent.insert(backend.random_u64());
  std::uint64_t theirs[4] = {};
  ASSERT_EQ(::read(fds[0], theirs, sizeof theirs), static_cast<ssize_t>(sizeof theirs));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (std::uint64_t d : theirs) EXPECT_EQ(parent.count(d), 0u) << "the child drew its parent's value";
}

}  // namespace
}  // namespace locklab::hiredis_test
