// hiredis::Backend with Options::fan_out = sequential: one node after
// another, every reply arrives, and the locks' outcomes are the ones the
// parallel backend gives.
#include <gtest/gtest.h>

#include <vector>

#include "locklab/lock/redlock.hpp"
#include "test_util.hpp"

namespace locklab::hiredis_test {
namespace {

using hiredis::Backend;
using lock::Outcome;

constexpr hiredis::Options kSequential{.fan_out = lock::FanOutMode::sequential};

// Each node's reply arrives, in node order, and never two requests are out
// at once (a parallel fan-out over three has three out).
TEST(HiredisSequential, EveryReplyArrivesInNodeOrderOneRequestAtATime) {
  realserver::Server a, b, c;
  Backend setup({tcp(a), tcp(b), tcp(c)});
  for (std::size_t n = 0; n < 3; ++n) {
    ASSERT_TRUE(setup.call(n, {"SET", "k", "v" + std::to_string(n)}, in(2s)));
  }
  Backend backend({tcp(a), tcp(b), tcp(c)}, kSequential);
  const std::size_t nodes[] = {2, 0, 1};
  std::vector<std::size_t> order;
  const auto results = backend.fan_out(nodes, {"GET", "k"}, in(2s), {}, [&](std::size_t i, const lock::NodeResult& r) {
    EXPECT_TRUE(r) << show(r);
    order.push_back(i);
    return true;
  });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(results[i]) << show(results[i]);
    EXPECT_EQ(*results[i], lock::Reply::bulk("v" + std::to_string(nodes[i])));
  }
  EXPECT_EQ(backend.stats().peak_in_flight, 1u);
  EXPECT_EQ(backend.in_flight(), 0u);
}

// on_reply returning false leaves the nodes after it unasked: cancelled,
// not applied — and really not applied on the server.
TEST(HiredisSequential, AnObserverThatStopsLeavesTheRestUnsent) {
  realserver::Server a, b, c;
  Backend backend({tcp(a), tcp(b), tcp(c)}, kSequential);
  const std::size_t nodes[] = {0, 1, 2};
  const auto results = backend.fan_out(nodes, {"SET", "k", "v"}, in(2s), {},
                                       [](std::size_t i, const lock::NodeResult&) { return i < 1; });
  ASSERT_TRUE(results[0]) << show(results[0]);
  ASSERT_TRUE(results[1]) << show(results[1]);
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().kind, lock::NodeErrorKind::cancelled);
  EXPECT_FALSE(results[2].error().maybe_applied);
  Backend observer({tcp(a), tcp(b), tcp(c)});
  const auto exists = observer.call(2, {"EXISTS", "k"}, in(2s));
  ASSERT_TRUE(exists) << show(exists);
  EXPECT_EQ(*exists, lock::Reply::integer_reply(0));
}

// The same RedLock story in both modes: a fenced acquire (a cold script
// cache: NOSCRIPT, then EVAL on the same connection), a refused second
// acquire, extend, release; then someone else's key on two of three nodes
// blocks the quorum. The outcomes are the same, word for word.
std::vector<std::string> redlock_story(const hiredis::Options& options) {
  realserver::Server a, b, c;
  Backend backend({tcp(a), tcp(b), tcp(c)}, options);
  Backend observer({tcp(a), tcp(b), tcp(c)});
  lock::RedLock<Backend> redlock(backend, {.ttl = 10s, .node_timeout = 500ms, .retry = {.count = 0}, .fencing = true});
  std::vector<std::string> said;
  auto got = redlock.acquire("orders", backend.now() + 2s);
  said.emplace_back(lock::name_of(got.outcome));
  if (!got.lease) return said;
  said.push_back(std::to_string(got.lease->fencing_token.value_or(0)));
  said.emplace_back(lock::name_of(redlock.acquire("orders", backend.now() + 300ms).outcome));
  said.emplace_back(lock::name_of(redlock.extend(*got.lease, backend.now() + 2s).outcome));
  said.emplace_back(lock::name_of(redlock.release(*got.lease, backend.now() + 2s).outcome));
  for (std::size_t n : {0, 2}) {
    EXPECT_TRUE(observer.call(n, {"SET", "orders", "someone-else"}, in(2s)));
  }
  said.emplace_back(lock::name_of(redlock.acquire("orders", backend.now() + 2s).outcome));
  EXPECT_EQ(backend.in_flight(), 0u);
  return said;
}

TEST(HiredisSequential, RedLockOutcomesAreTheParallelOnes) {
  const std::vector<std::string> parallel = redlock_story({});
  const std::vector<std::string> sequential = redlock_story(kSequential);
  EXPECT_EQ(parallel, (std::vector<std::string>{"acquired", "1", "busy", "extended", "released", "busy"}));
  EXPECT_EQ(sequential, parallel);
}

}  // namespace
}  // namespace locklab::hiredis_test
