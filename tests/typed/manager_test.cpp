// The lock manager, the same on simulated and real servers: local waiters
// for one key are served in the order they asked, one holder at a time, each
// on one attempt (the process never contends with itself); a waiter that
// gives up — its deadline passes, or its stop fires, while the manager's
// acquire is in flight against another client's key — never holds, leaves
// nothing behind in Redis, and does not wedge the key.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "locklab/lock/manager.hpp"
#include "typed/suite.hpp"

namespace locklab::typed {
namespace {

using lock::Outcome;

template <typename E>
class TypedManager : public TypedLock<E> {};
TYPED_TEST_SUITE(TypedManager, Envs);

// Three handles queued in order; their users wait in reverse order, each on
// a task of its own, hold for 50 ms and unlock. Grants come 1, 2, 3, never
// overlapping, each the first attempt of its acquire.
TYPED_TEST(TypedManager, ServesLocalWaitersInFifoOrder) {
  using Lock = LockFor<TypeParam>;
  using Backend = typename TypeParam::Backend;
  using Manager = lock::LockManager<Lock>;
  using Handle = typename Manager::Handle;
  TypeParam::run([](auto& ctx) {
    Lock lock(ctx.backend(), options(2s));
    Manager manager(lock);
    std::vector<std::unique_ptr<Handle>> handles;
    for (int i = 0; i < 3; ++i) {
      handles.push_back(std::make_unique<Handle>(manager.lock("job", 2s, ctx.now() + 5s)));
    }
    EXPECT_EQ(manager.queued("job"), 3u);
    typename Backend::Mutex mutex;  // the users are threads on real servers
    int holding = 0, overlaps = 0;
    std::vector<int> order, attempts;
    std::vector<Outcome> unlocks;
    {
      std::vector<std::unique_ptr<Task<Backend>>> users;
      for (int i = 2; i >= 0; --i) {
        users.push_back(std::make_unique<Task<Backend>>(ctx.backend(), [&, i] {
          Handle& h = *handles[static_cast<std::size_t>(i)];
          auto got = h.wait();
          {
            std::lock_guard guard(mutex);
            if (!got) {
              ADD_FAILURE() << "handle " << i + 1 << ": " << show(got);
              return;
            }
            if (holding++ != 0) ++overlaps;
            order.push_back(i + 1);
            attempts.push_back(got.attempts);
          }
          ctx.sleep_for(50ms);
          {
            std::lock_guard guard(mutex);
            --holding;
          }
          const Outcome unlocked = h.unlock().outcome;
          std::lock_guard guard(mutex);
          unlocks.push_back(unlocked);
        }));
        ASSERT_TRUE(users.back()->started());
      }
    }  // every user has finished
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(overlaps, 0);
    EXPECT_EQ(attempts, (std::vector<int>{1, 1, 1}));
    EXPECT_EQ(unlocks, (std::vector<Outcome>{Outcome::released, Outcome::released, Outcome::released}));
    // The contender leaves the queue once it sees the last unlock.
    EXPECT_TRUE(eventually(ctx, [&] { return manager.queued("job") == 0; }));
  });
}

// Another client holds the key; the manager's acquire retries every 50 ms
// for a waiter (deadline 500 ms) who then gives up: `give_up(handle,
// deadline)` returns its wait() result and how late that came after the
// give-up was due. Checks the story from there: the waiter's outcome,
// the other client's release, no holding and no key in Redis 300 ms later
// (a contender still trying would have got it), and a new waiter served.
template <typename E, typename GiveUp>
void check_waiter_gives_up(typename E::Context& ctx, Outcome expected, GiveUp give_up) {
  using Lock = LockFor<E>;
  using Manager = lock::LockManager<Lock>;
  Lock blocker(ctx.other(), options(5s));
  auto held = blocker.acquire("job", ctx.now() + 1s);
  ASSERT_TRUE(held.acquired()) << show(held);
  Lock lock(ctx.backend(), options(2s, 1000));
  Manager manager(lock);
  std::vector<Outcome> story;
  const auto deadline = ctx.now() + 500ms;
  auto h = std::make_unique<typename Manager::Handle>(manager.lock("job", 2s, deadline));
  const auto [result, late] = give_up(*h, deadline);
  story.push_back(result.outcome);
  EXPECT_GE(late, -50ms) << "gave up more than a retry delay early";
  EXPECT_LE(late, kSlack);
  EXPECT_FALSE(h->holds());
  story.push_back(blocker.release(*held.lease).outcome);
  ctx.sleep_for(300ms);
  EXPECT_FALSE(h->holds());
  EXPECT_EQ(h->wait().outcome, expected) << "asked again, the answer changed";
  EXPECT_TRUE(eventually(ctx, [&] { return manager.queued("job") == 0; }));
  for (std::size_t n = 0; n < ctx.nodes(); ++n) {
    EXPECT_EQ(ctx.raw(n, {"EXISTS", "job"}), lock::Reply::integer_reply(0)) << "node " << n;
  }
  auto next = manager.lock("job", 2s, ctx.now() + 1s);
  story.push_back(next.wait().outcome);
  story.push_back(next.unlock().outcome);
  EXPECT_EQ(story, (std::vector<Outcome>{expected, Outcome::released, Outcome::acquired,
                                         Outcome::released}));
}

// The waiter's deadline passes: `timed_out`, by the deadline (the
// contender may answer first, when its next retry would start after it).
TYPED_TEST(TypedManager, AWaiterWhoseDeadlinePassesNeverHolds) {
  TypeParam::run([](auto& ctx) {
    check_waiter_gives_up<TypeParam>(ctx, Outcome::timed_out, [&](auto& handle, auto deadline) {
      auto r = handle.wait();
      return std::pair{r, ctx.now() - deadline};
    });
  });
}

// The waiter's stop fires after 200 ms, well before its deadline:
// `cancelled`, promptly.
TYPED_TEST(TypedManager, AWaiterWhoseStopFiresNeverHolds) {
  using Backend = typename TypeParam::Backend;
  TypeParam::run([](auto& ctx) {
    check_waiter_gives_up<TypeParam>(ctx, Outcome::cancelled, [&](auto& handle, auto) {
      std::stop_source stop;
      std::optional<typename Backend::time_point> fired;
      Task<Backend> stopper(ctx.backend(), [&] {
        ctx.sleep_for(200ms);
        fired = ctx.now();
        stop.request_stop();
      });
      auto r = handle.wait(stop.get_token());
      const auto returned = ctx.now();
      stopper.join();
      return std::pair{r, returned - fired.value_or(returned)};
    });
  });
}

}  // namespace
}  // namespace locklab::typed
