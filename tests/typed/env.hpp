// tests/typed/env.hpp — the abstraction the typed lock suite is written
// against: one test body, run over simulated and over real Redis servers.
//
// Provides the LockEnv concept (what an environment gives a test), LockFor
// (the single-node lock on one node, RedLock on more), ClientOptions, Task (a
// task on a backend that the test joins), kSlack (the one time bound after a
// deadline), eventually() and printers for outcomes and results.
//
// An environment E (sim_env.hpp, real_env.hpp) gives:
//   E::Backend           a lockimpl Backend (sim::LockBackend, hiredis::Backend);
//   E::kNodes            how many Redis servers each run has;
//   E::run(body)         starts kNodes fresh servers and runs body(ctx) as a
//                        client: in simulation on a client process's fiber of
//                        a new world, until the body returns (virtual time,
//                        deterministic); on real servers on the calling
//                        thread (real time). Failures of the environment
//                        itself (a server that does not start, a world that
//                        fails) fail the test; nothing is skipped.
// and its Context gives the body:
//   backend(), other()   two independent clients (own connections, own
//                        tokens) over every node: the one under test and a
//                        contender;
//   client(options)      one more client, with options of its own (the
//                        in-flight bound), its connections already open;
//   now(), sleep_for(d)  the client's clock and a sleep on it (the backend's);
//   raw(node, argv)      one command to one node on a connection nothing
//                        under test shares, to check what the node holds;
//   restart(node)        kill the server and start it again at once, on the
//                        same address, with nothing persisted (memory and
//                        script cache are gone);
//   freeze(node), resume(node)  stop the server and let it run again: it
//                        keeps its connections, and requests sent meanwhile
//                        are served after the resume.
// Every client has already opened a connection to every node when the body
// starts, so a test's first request pays no connect.
//
// Deliberately absent: faults the real side cannot apply without a relay
// (partitions, delays) or a clock shim (clock jumps) — the simulator's own
// tests cover those — and anything that reads true time.
//
//   TYPED_TEST(TypedAcquire, Grants) {
//     TypeParam::run([](auto& ctx) {
//       LockFor<TypeParam> lock(ctx.backend(), options(2s));
//       EXPECT_TRUE(lock.acquire("job", ctx.now() + 1s));
//     });
//   }
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "locklab/lock/backend.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/lock/redlock.hpp"
#include "support/lock_text.hpp"

namespace locklab::typed {

using namespace std::chrono_literals;

struct ClientOptions {
  std::size_t max_in_flight = 10;  // requests out at once (both backends' default)
};

template <typename E>
concept LockEnv = requires(typename E::Context& ctx, std::size_t node,
                           std::vector<std::string> argv, ClientOptions options) {
  requires lock::Backend<typename E::Backend>;
  { E::kNodes } -> std::convertible_to<std::size_t>;
  E::run(std::function<void(typename E::Context&)>{});
  { ctx.backend() } -> std::same_as<typename E::Backend&>;
  { ctx.other() } -> std::same_as<typename E::Backend&>;
  { ctx.client(options) } -> std::same_as<typename E::Backend&>;
  { ctx.nodes() } -> std::same_as<std::size_t>;
  { ctx.now() } -> std::same_as<typename E::Backend::time_point>;
  ctx.sleep_for(std::chrono::milliseconds{1});
  { ctx.raw(node, argv) } -> std::same_as<lock::NodeResult>;
  ctx.restart(node);
  ctx.freeze(node);
  ctx.resume(node);
};

// The lock a run over E's nodes uses: the single-node lock on one server,
// RedLock (quorum 3) on five.
template <typename E>
using LockFor = std::conditional_t<E::kNodes == 1, lock::SingleNodeLock<typename E::Backend>,
                                   lock::RedLock<typename E::Backend>>;

// How late, at most, a call may return after its deadline (or a stop), in
// both environments. Real servers on a loaded machine need this much; the
// simulator is exact, but one assertion for both keeps the suite one suite.
inline constexpr std::chrono::milliseconds kSlack{500};

// A lock's options for the suite: the node timeout is fixed at 100 ms rather
// than ttl/100, so that a short TTL does not make a loaded machine's
// scheduling look like a dead node. No retries unless a test asks.
inline lock::LockOptions options(std::chrono::milliseconds ttl, int retries = 0,
                                 std::chrono::milliseconds delay = 50ms) {
  return {.ttl = ttl, .node_timeout = 100ms,
          .retry = {.count = retries, .delay = delay, .jitter = 0ms}};
}

// A task on a backend — a fiber of the client process in simulation, a
// thread on real servers — that the test waits for: join(), and the
// destructor, return once the task has run. The flag it sets is shared with
// the task, which may still be inside set() when the joiner wakes.
template <lock::Backend B>
class Task {
 public:
  Task(B& backend, std::function<void()> body)
      : done_(std::make_shared<typename B::Event>(backend)) {
    started_ = backend.spawn("typed-task", [done = done_, body = std::move(body)] {
      body();
      done->set();
    });
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { join(); }

  bool started() const { return started_; }
  void join() {
    if (started_) (void)done_->wait_until(B::time_point::max(), std::stop_token{});
  }

 private:
  std::shared_ptr<typename B::Event> done_;
  bool started_ = false;
};

// Whether `condition` holds within `bound`, looked at every 10 ms: for
// state that a backend's own task settles after the call that caused it has
// returned (on real servers that task is another thread).
template <typename Context, typename Condition>
bool eventually(Context& ctx, Condition condition, std::chrono::milliseconds bound = kSlack) {
  const auto until = ctx.now() + bound;
  while (!condition()) {
    if (ctx.now() >= until) return false;
    ctx.sleep_for(10ms);
  }
  return true;
}

// Every node of a run, in order: what a lease over all of them lists.
inline std::vector<std::size_t> all_nodes(std::size_t n) {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(i);
  return v;
}

using test_support::show;

}  // namespace locklab::typed

namespace locklab::lock {
// GoogleTest prints outcomes by name.
inline void PrintTo(Outcome o, std::ostream* out) { *out << name_of(o); }
}  // namespace locklab::lock
