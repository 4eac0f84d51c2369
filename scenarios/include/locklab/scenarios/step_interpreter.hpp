// locklab/scenarios/step_interpreter.hpp — runs a client's steps.
//
// Provides run_steps(): one lock client working through its steps
// (steps.hpp) with lockimpl locks (RedLock, SingleNodeLock, NaiveLock) by
// name — "" the scenario's own, others its named locks — recording each
// operation it invokes — acquire, write, extend (a watchdog's renewals too),
// release, a raw command — and how it completed, plus notes (a watchdog's
// loss, a wait_until's result), so the checkers in properties/ can judge the
// run. The interpreter knows nothing of worlds: an environment
// (StepEnvironment) gives it a clock, the true time (for the harness's
// wait_until oracle only), sleeps, the history, the protected storage, raw
// commands to nodes and random draws. scenarios/src/runner.cpp binds one to
// a simulated process; the same source can drive a client on real servers.
//
// A client holds at most one lease (steps.hpp says what each step does
// without one). The validity check of a write comes before its work, not
// after: a pause during the work makes the write land after the lease ended
// — the classic stale write that only fencing stops.
//
// Status mapping, as Jepsen's: acquired → ok; indeterminate → info (may
// hold somewhere); other refusals → fail. A write accepted → ok, rejected →
// fail, no reply → info. A release released → ok; not_held → fail;
// otherwise info. An extend extended → ok; lost → fail; otherwise info. A
// command with a reply → ok (the reply, an error reply too, is its outcome);
// without one → info.
//
// Lifetime: the watchdogs, lock managers and waiters a client runs are
// tasks of its locks' backends, which reach the interpreter, its
// environment and the locks. Whoever runs the interpreter keeps all of them
// alive until every such task has finished (the simulated runner: the
// backends' tasks hold the client's state), and destroys the interpreter
// before the locks.
//
// Not thread-safe: one client's interpreter runs on the one thread (or
// fiber) that runs that client. A watch step's watchdog records its
// renewals and its loss from its own task, and a manager step's waiters
// their operations from theirs, so the environment's invoke, complete,
// note, write and sleeps must be safe to call from the lock backend's tasks
// while the client runs (in a simulated world they are fibers of the same
// thread).
//
//   SimStepEnvironment env(process, history, &storage, ...);
//   scenarios::run_steps(env, lock, client.effective_steps());            // one lock, as ""
//   scenarios::LockTable<Single, Red> locks{{"", &single}, {"fast", &red}};
//   scenarios::run_steps(env, locks, client.effective_steps());
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "locklab/history/operation.hpp"
#include "locklab/lock/auto_extend.hpp"
#include "locklab/lock/detail/saturate.hpp"
#include "locklab/lock/guard.hpp"
#include "locklab/lock/manager.hpp"
#include "locklab/lock/mutex.hpp"
#include "locklab/lock/outcome.hpp"
#include "locklab/scenarios/steps.hpp"
#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {

// What a write to the protected storage came to: accepted, rejected as
// stale, or no answer (the words say which error).
struct WriteOutcome {
  history::OpStatus status = history::OpStatus::info;
  std::string words;
};

// What a raw command came to: its reply as redis-cli shows it, or why
// there was none.
struct CommandOutcome {
  bool replied = false;
  std::string words;
};

template <typename E>
concept StepEnvironment = requires(E& env, const E& cenv, sim::Duration d, history::OpKind kind,
                                   std::string key, std::uint64_t id, history::OpStatus status,
                                   std::optional<std::uint64_t> fence,
                                   std::optional<typename E::time_point> end,
                                   std::optional<std::string> token, const CommandStep& command) {
  typename E::time_point;
  { cenv.now() } -> std::same_as<typename E::time_point>;
  { env.sleep_for(d) } -> std::same_as<void>;
  { env.invoke(kind, key, id, std::string()) } -> std::same_as<std::uint64_t>;
  { env.invoke(kind, key, id, std::string(), end) } -> std::same_as<std::uint64_t>;
  { env.complete(id, status, std::string(), fence, end, token) } -> std::same_as<void>;
  { env.write(id, fence, std::string(), d) } -> std::same_as<WriteOutcome>;
  { env.command(command) } -> std::same_as<CommandOutcome>;
  { env.draw(d, d) } -> std::same_as<sim::Duration>;
  { env.note(key, id, std::string(), status) } -> std::same_as<void>;
  { cenv.true_elapsed() } -> std::same_as<sim::Duration>;
  { env.sleep_until_true(d) } -> std::same_as<void>;
  { cenv.name() } -> std::convertible_to<std::string>;
  { cenv.has_storage() } -> std::same_as<bool>;
};

inline history::OpStatus acquire_status(lock::Outcome o) {
  return o == lock::Outcome::acquired        ? history::OpStatus::ok
         : o == lock::Outcome::indeterminate ? history::OpStatus::info
                                             : history::OpStatus::fail;
}

inline history::OpStatus release_status(lock::Outcome o) {
  return o == lock::Outcome::released   ? history::OpStatus::ok
         : o == lock::Outcome::not_held ? history::OpStatus::fail
                                        : history::OpStatus::info;
}

inline history::OpStatus extend_status(lock::Outcome o) {
  return o == lock::Outcome::extended ? history::OpStatus::ok
         : o == lock::Outcome::lost   ? history::OpStatus::fail
                                      : history::OpStatus::info;
}

// The locks a client may use, by name: "" is the scenario's own, the others
// its named locks. Every lock's lease type must be the same.
template <typename... Locks>
using LockTable = std::map<std::string, std::variant<Locks*...>, std::less<>>;

template <StepEnvironment Env, typename... Locks>
class StepInterpreter {
 public:
  using AnyLock = std::variant<Locks*...>;
  using Lease = typename std::tuple_element_t<0, std::tuple<Locks...>>::LeaseType;
  static_assert((std::is_same_v<Lease, typename Locks::LeaseType> && ...), "one lease type for every lock");

  StepInterpreter(Env& env, LockTable<Locks...> locks) : env_(env), locks_(std::move(locks)) {}

  void run(const std::vector<Step>& steps) {
    for (const Step& step : steps) one(step);
  }

 private:
  using time_point = typename Env::time_point;
  using Watchdog = std::variant<std::unique_ptr<lock::AutoExtender<Locks>>...>;

  // Durations from a scenario file may be centuries: sums saturate.
  time_point in(sim::Duration d) const { return lock::detail::add_saturating(env_.now(), d); }

  void one(const Step& step) {
    std::visit(sim::detail::Overloaded{
                   [&](const AcquireStep& s) { acquire(s); },
                   [&](const HoldStep& s) {
                     if (lease_) env_.sleep_for(s.min == s.max ? s.min : env_.draw(s.min, s.max));
                   },
                   [&](const WriteStep& s) { write(s); },
                   [&](const ExtendStep& s) { extend(s); },
                   [&](const ReleaseStep&) { release(); },
                   [&](const SleepStep& s) { env_.sleep_for(s.duration); },
                   [&](const CommandStep& s) { command(s); },
                   [&](const RepeatStep& s) {
                     for (int i = 0; i < s.times; ++i) run(s.steps);
                   },
                   [&](const WatchStep& s) { watch(s); },
                   [&](const WaitUntilStep& s) { wait_until(s); },
                   [&](const ManagerStep& s) {
                     std::visit([&](auto* l) { run_manager(*l, s); }, lock_named(s.lock));
                   },
                   [&](const MutexStep& s) {
                     std::visit([&](auto* l) { mutex_call(*l, s); }, lock_named(s.lock));
                   },
                   [&](const GuardStep& s) { guard(s); },
               },
               step.kind);
  }

  // Records how acquire `id` came out, with its lease's validity, fencing
  // token and lock token when it got one.
  template <typename Result>
  void complete_acquire(std::uint64_t id, const Result& got) {
    if (!got.lease) {
      env_.complete(id, acquire_status(got.outcome), std::string(lock::name_of(got.outcome)), {}, {}, {});
      return;
    }
    env_.complete(id, acquire_status(got.outcome), std::string(lock::name_of(got.outcome)), got.lease->fencing_token,
                  got.lease->validity_end, got.lease->token);
  }

  AnyLock lock_named(const std::string& name) const {
    const auto it = locks_.find(name);
    LOCKLAB_ASSERT(it != locks_.end(), "a step names a lock the client was not given");
    return it->second;
  }

  // The lease the lease steps act on: the watchdog's while one watches it
  // (nothing once it is lost or ended), else the client's own.
  std::optional<Lease> current_lease() const {
    if (watchdog_) return std::visit([](const auto& w) { return w->lease(); }, *watchdog_);
    return lease_;
  }

  void acquire(const AcquireStep& s) {
    forget_lease();
    const auto deadline = in(s.deadline);
    const std::uint64_t id = env_.invoke(history::OpKind::acquire, s.key, 0, {}, deadline);
    const AnyLock chosen = lock_named(s.lock);
    auto got = std::visit(
        [&](auto* l) {
          return s.ttl || s.single_attempt
                     ? l->acquire_for(s.key, s.ttl.value_or(l->options().options.ttl), deadline, {},
                                      s.single_attempt ? 1 : std::numeric_limits<int>::max())
                     : l->acquire(s.key, deadline);
        },
        chosen);
    complete_acquire(id, got);
    if (got.acquired()) {
      LOCKLAB_ASSERT(got.lease.has_value(), "acquired without a lease");
      lease_ = std::move(*got.lease);
      lease_lock_ = chosen;
      grant_ = id;
      writes_ = 0;
    }
  }

  void write(const WriteStep& s) {
    if (!lease_ || !env_.has_storage()) return;
    for (int k = 0; k < s.count; ++k) {
      // Checked before the work, so a pause during it makes the classic
      // stale write. A careful holder also wants the work and the write to
      // fit in what is left of the lease by its own clock.
      const sim::Duration needed = !s.careful                                 ? sim::Duration(0)
                                   : s.work > sim::Duration::max() - s.timeout ? sim::Duration::max()
                                                                               : s.work + s.timeout;
      const std::optional<Lease> now = current_lease();
      if (!now || !now->valid_at(in(needed))) return;
      env_.sleep_for(s.work);
      const std::uint64_t id = env_.invoke(history::OpKind::write, now->key, grant_);
      const WriteOutcome r =
          env_.write(grant_, now->fencing_token, env_.name() + "#" + std::to_string(writes_++), s.timeout);
      env_.complete(id, r.status, r.words, now->fencing_token, {}, {});
    }
  }

  void extend(const ExtendStep& s) {
    // A watched lease is the watchdog's to extend; a mutex's is not extended.
    if (!lease_ || watchdog_ || lease_mutex_ != nullptr) return;
    const auto deadline = in(s.deadline);
    const std::uint64_t id = env_.invoke(history::OpKind::extend, lease_->key, grant_, {}, deadline);
    const auto r = std::visit([&](auto* l) { return l->extend(*lease_, deadline); }, lease_lock_);
    const bool extended = r.outcome == lock::Outcome::extended;
    env_.complete(id, extend_status(r.outcome), std::string(lock::name_of(r.outcome)), lease_->fencing_token,
                  extended ? std::optional<time_point>(lease_->validity_end) : std::nullopt, {});
  }

  void release() {
    if (!lease_) return;
    if (lease_mutex_ != nullptr) {
      std::visit([&](auto& m) { unlock_mutex(*m, lease_->key); }, *lease_mutex_);
      return;
    }
    const std::uint64_t id = env_.invoke(history::OpKind::release, lease_->key, grant_);
    GuardFrame* guard = guard_of(grant_);
    const lock::ReleaseResult r =
        watchdog_ ? std::visit([](auto& w) { return w->release(); }, *watchdog_)
        : guard != nullptr
            ? std::visit([](auto& g) { return g.release(); }, *guard->guard)
            : std::visit([&](auto* l) { return l->release(*lease_); }, lease_lock_);
    env_.complete(id, release_status(r.outcome), std::string(lock::name_of(r.outcome)), {}, {}, {});
    watchdog_.reset();
    lease_.reset();
  }

  void command(const CommandStep& s) {
    const std::string key = s.argv.size() > 1 ? s.argv[1] : std::string();
    const std::uint64_t id = env_.invoke(history::OpKind::command, key, 0);
    const CommandOutcome r = env_.command(s);
    env_.complete(id, r.replied ? history::OpStatus::ok : history::OpStatus::info, r.words, {}, {}, {});
  }

  // The watchdog records each renewal as an extend of this grant, and its
  // loss as a note, from its own task.
  void watch(const WatchStep& s) {
    // A mutex's or a guard's lease stays theirs.
    if (!lease_ || watchdog_ || lease_mutex_ != nullptr || guard_of(grant_) != nullptr) return;
    std::visit(
        [&](auto* l) {
          using L = std::remove_pointer_t<decltype(l)>;
          using Extender = lock::AutoExtender<L>;
          auto renewal = std::make_shared<std::uint64_t>(0);  // the renewal in flight's history id
          typename Extender::Options options{
              .renew_before = s.renew_before,
              .max_renewals = s.max_renewals,
              // A renewal's deadline is the validity end of the lease it renews.
              .on_renewing =
                  [&env = env_, renewal, key = lease_->key, grant = grant_](const Lease& renewing) {
                    *renewal = env.invoke(history::OpKind::extend, key, grant, {}, renewing.validity_end);
                  },
              .on_renewed =
                  [&env = env_, renewal](const lock::ExtendResult& r, const Lease& lease) {
                    const bool extended = r.outcome == lock::Outcome::extended;
                    env.complete(*renewal, extend_status(r.outcome), std::string(lock::name_of(r.outcome)),
                                 lease.fencing_token,
                                 extended ? std::optional<time_point>(lease.validity_end) : std::nullopt, {});
                  }};
          auto on_lost = [&env = env_, key = lease_->key, grant = grant_](lock::Outcome why) {
            env.note(key, grant, "watchdog: lease lost (" + std::string(lock::name_of(why)) + ")",
                     history::OpStatus::ok);
          };
          watchdog_.emplace(std::make_unique<Extender>(*l, *lease_, std::move(on_lost), std::move(options)));
        },
        lease_lock_);
  }

  // A careless holder replacing its lease: a watchdog is stopped, nothing
  // is released (a mutex stays locked, a guard releases at its scope's end).
  void forget_lease() {
    watchdog_.reset();
    lease_.reset();
    lease_mutex_ = nullptr;
  }

  static std::string mutex_error_words(const std::system_error& e) {
    const std::error_code c = e.code();
    if (c == std::errc::timed_out) return "timed_out";
    if (c == std::errc::operation_canceled) return "cancelled";
    if (c == std::errc::resource_deadlock_would_occur) return "would deadlock (already held by this client)";
    if (c == std::errc::operation_not_permitted) return "not the owner";
    return e.what();
  }

  template <typename L>
  void mutex_call(L& l, const MutexStep& s) {
    using M = lock::NamedMutex<L>;
    const std::pair<std::string, std::string> id_of{s.lock, s.key};
    auto it = mutexes_.find(id_of);
    if (it == mutexes_.end()) it = mutexes_.emplace(id_of, std::make_unique<M>(l, s.key, s.timeout)).first;
    M& m = *std::get<std::unique_ptr<M>>(it->second);
    if (s.call == MutexCall::unlock) {
      unlock_mutex(m, s.key);
      return;
    }
    const std::optional<time_point> deadline =
        s.call == MutexCall::try_lock_for ? std::optional<time_point>(in(s.timeout)) : std::nullopt;
    const std::uint64_t id = env_.invoke(history::OpKind::acquire, s.key, 0, {}, deadline);
    std::string words;
    bool got = false;
    try {
      switch (s.call) {
        case MutexCall::lock: m.lock(); got = true; break;
        case MutexCall::try_lock: got = m.try_lock(); words = "busy"; break;
        case MutexCall::try_lock_for: got = m.try_lock_for(s.timeout); words = "timed_out"; break;
        case MutexCall::unlock: break;
      }
    } catch (const std::system_error& e) {
      words = mutex_error_words(e);
    }
    const std::optional<Lease> lease = got ? m.lease() : std::nullopt;
    if (!lease) {
      env_.complete(id, history::OpStatus::fail, words, {}, {}, {});
      return;
    }
    env_.complete(id, history::OpStatus::ok, "acquired", lease->fencing_token, lease->validity_end, lease->token);
    forget_lease();
    lease_ = lease;
    lease_lock_ = &l;
    lease_mutex_ = &it->second;
    grant_ = id;
    writes_ = 0;
  }

  template <typename M>
  void unlock_mutex(M& m, const std::string& key) {
    const bool ours = lease_ && lease_mutex_ != nullptr &&
                      std::visit([&](auto& held) { return static_cast<const void*>(held.get()); }, *lease_mutex_) ==
                          static_cast<const void*>(&m);
    const std::uint64_t id = env_.invoke(history::OpKind::release, key, ours ? grant_ : 0);
    try {
      m.unlock();
      const std::optional<lock::ReleaseResult> r = m.last_release();
      LOCKLAB_ASSERT(r.has_value(), "an unlock without a release result");
      env_.complete(id, release_status(r->outcome), std::string(lock::name_of(r->outcome)), {}, {}, {});
    } catch (const std::system_error& e) {
      env_.complete(id, history::OpStatus::fail, mutex_error_words(e), {}, {}, {});
    }
    if (ours) {
      lease_.reset();
      lease_mutex_ = nullptr;
    }
  }

  // A LeaseGuard over the lease of grant `grant`, for one guard step's scope.
  struct GuardFrame {
    std::optional<std::variant<lock::LeaseGuard<Locks>...>> guard;
    std::uint64_t grant = 0;
    std::string key;
  };

  GuardFrame* guard_of(std::uint64_t grant) const {
    for (GuardFrame* f : guards_) {
      if (f->grant == grant && f->guard && std::visit([](const auto& g) { return g.owns(); }, *f->guard)) return f;
    }
    return nullptr;
  }

  void guard(const GuardStep& s) {
    if (!lease_ || watchdog_ || lease_mutex_ != nullptr || guard_of(grant_) != nullptr) {
      run(s.steps);  // nothing of its own to guard
      return;
    }
    GuardFrame frame{.guard = {}, .grant = grant_, .key = lease_->key};
    std::visit([&](auto* l) {
      using L = std::remove_pointer_t<decltype(l)>;
      frame.guard.emplace(std::in_place_type<lock::LeaseGuard<L>>, *l, *lease_);
    }, lease_lock_);
    guards_.push_back(&frame);
    // Popped however the scope ends (a kill unwinds through it too).
    struct Pop {
      std::vector<GuardFrame*>& guards;
      ~Pop() { guards.pop_back(); }
    } pop{guards_};
    run(s.steps);
    if (!std::visit([](const auto& g) { return g.owns(); }, *frame.guard)) return;
    const std::uint64_t id = env_.invoke(history::OpKind::release, frame.key, frame.grant);
    frame.guard.reset();  // the destructor releases, quietly
    env_.complete(id, history::OpStatus::info, "released by the guard's scope", {}, {}, {});
    if (lease_ && grant_ == frame.grant) lease_.reset();
  }

  // One waiter's handle and stop, shared by the manager step and its waiters
  // (whichever finishes last destroys them: a killed client's step unwinds
  // while its waiters may still be inside a call on their handles).
  template <typename L>
  struct WaiterSlot {
    std::optional<typename lock::LockManager<L>::Handle> handle;
    std::stop_source stop;
  };

  template <typename L>
  lock::LockManager<L>& manager_for(L& l, const std::string& name) {
    auto it = managers_.find(name);
    if (it == managers_.end()) it = managers_.emplace(name, std::make_unique<lock::LockManager<L>>(l)).first;
    return *std::get<std::unique_ptr<lock::LockManager<L>>>(it->second);
  }

  // Starts every waiter as a task of the lock's backend, fires the stops at
  // their times, and returns once every waiter has finished.
  template <typename L>
  void run_manager(L& l, const ManagerStep& s) {
    static_assert(std::is_same_v<time_point, typename Lease::TimePointType>, "one clock for steps and locks");
    using Backend = std::remove_reference_t<decltype(l.backend())>;
    lock::LockManager<L>& m = manager_for(l, s.lock);
    const std::chrono::milliseconds ttl = s.ttl.value_or(l.options().options.ttl);
    const time_point begun = env_.now();
    const auto slots = std::make_shared<std::vector<WaiterSlot<L>>>(s.waiters.size());
    std::vector<std::shared_ptr<typename Backend::Event>> done;
    for (std::size_t i = 0; i < s.waiters.size(); ++i) {
      auto finished = std::make_shared<typename Backend::Event>(l.backend());
      done.push_back(finished);
      const bool started = l.backend().spawn(
          "waiter", [this, &m, slots, i, &w = s.waiters[i], &key = s.key, ttl, begun, finished,
                     holder = env_.name() + "/w" + std::to_string(i + 1)] {
            struct SetOnExit {
              typename Backend::Event& event;
              ~SetOnExit() { event.set(); }
            } set_on_exit{*finished};
            waiter(m, (*slots)[i], w, key, ttl, begun, holder);
          });
      if (!started) finished->set();
    }
    std::vector<std::pair<time_point, std::size_t>> stops;
    for (std::size_t i = 0; i < s.waiters.size(); ++i) {
      const ManagerWaiter& w = s.waiters[i];
      if (!w.stop_after) continue;
      stops.emplace_back(lock::detail::add_saturating(lock::detail::add_saturating(begun, w.start_after), *w.stop_after),
                         i);
    }
    std::sort(stops.begin(), stops.end());
    for (const auto& [at, i] : stops) {
      if (at > env_.now()) env_.sleep_for(at - env_.now());
      (*slots)[i].stop.request_stop();
    }
    for (const auto& finished : done) (void)finished->wait_until(time_point::max(), std::stop_token{});
  }

  // A waiter: asks, waits (or gives up), and if it holds: works, writes,
  // unlocks. Its operations are its own holder's in the history.
  template <typename L>
  void waiter(lock::LockManager<L>& m, WaiterSlot<L>& slot, const ManagerWaiter& w, const std::string& key,
              std::chrono::milliseconds ttl, time_point begun, const std::string& holder) {
    const time_point ask_at = lock::detail::add_saturating(begun, w.start_after);
    if (ask_at > env_.now()) env_.sleep_for(ask_at - env_.now());
    const time_point deadline = in(w.deadline);
    const std::uint64_t id = env_.invoke(history::OpKind::acquire, key, 0, holder, deadline);
    slot.handle.emplace(m.lock(key, ttl, deadline));
    if (w.destroy_after && in(*w.destroy_after) < deadline) {
      // Looks at the result as soon as it comes (its completion time is the
      // manager's decision, not a late look), or destroys the handle then. A
      // destroy due at or after the deadline never comes: wait() below gives
      // up at the deadline first, as a caller of wait() would.
      if (!slot.handle->ready_by(in(*w.destroy_after))) {
        slot.handle.reset();  // gives up its place, or the grant in flight
        env_.complete(id, history::OpStatus::fail, "cancelled", {}, {}, {});
        return;
      }
    }
    const typename lock::LockManager<L>::Result r = slot.handle->wait(slot.stop.get_token());
    complete_acquire(id, r);
    if (!r.acquired()) return;
    LOCKLAB_ASSERT(r.lease.has_value(), "acquired without a lease");
    env_.sleep_for(w.hold);
    // Careful writes: each only while the lease outlasts the write's timeout.
    const sim::Duration write_timeout = std::chrono::milliseconds(100);
    for (int k = 0; k < w.writes && env_.has_storage() && r.lease->valid_at(in(write_timeout)); ++k) {
      const std::uint64_t write = env_.invoke(history::OpKind::write, key, id, holder);
      const WriteOutcome o = env_.write(id, r.lease->fencing_token, holder + "#" + std::to_string(k), write_timeout);
      env_.complete(write, o.status, o.words, r.lease->fencing_token, {}, {});
    }
    const std::uint64_t release = env_.invoke(history::OpKind::release, key, id, holder);
    if (w.unlock) {
      const lock::ReleaseResult u = slot.handle->unlock();
      env_.complete(release, release_status(u.outcome), std::string(lock::name_of(u.outcome)), {}, {}, {});
    } else {
      slot.handle.reset();  // the destructor unlocks, without telling how it went
      env_.complete(release, history::OpStatus::info, "handle dropped", {}, {}, {});
    }
  }

  // The harness's oracle: polls the condition every millisecond of the
  // client's clock, and notes whether it held within the bound.
  void wait_until(const WaitUntilStep& s) {
    switch (s.condition) {
      case WaitCondition::time: {
        env_.sleep_until_true(s.at);
        env_.note({}, 0, "wait_until " + history::format_duration(s.at) + ": reached", history::OpStatus::ok);
        return;
      }
      case WaitCondition::lease_lost: {
        const sim::Duration started = env_.true_elapsed();
        const sim::Duration bound =
            started > sim::Duration::max() - s.within ? sim::Duration::max() : started + s.within;
        const auto lost = [&] {
          const std::optional<Lease> l = current_lease();
          return !l || !l->valid_at(env_.now());
        };
        while (!lost() && env_.true_elapsed() < bound) env_.sleep_for(std::chrono::milliseconds(1));
        const bool met = lost();
        const std::string key = lease_ ? lease_->key : std::string();
        env_.note(key, lease_ ? grant_ : 0,
                  met ? "wait_until lease_lost: met after " + history::format_duration(env_.true_elapsed() - started)
                      : "wait_until lease_lost: not within " + history::format_duration(s.within),
                  met ? history::OpStatus::ok : history::OpStatus::fail);
        return;
      }
    }
  }

  Env& env_;
  const LockTable<Locks...> locks_;
  std::optional<Lease> lease_;
  AnyLock lease_lock_{};          // the lock lease_ came from
  std::optional<Watchdog> watchdog_;  // watching lease_, when a watch step said so
  std::uint64_t grant_ = 0;       // the history id of the acquire that got lease_
  int writes_ = 0;                // writes under lease_ so far, naming each write's value
  // The client's NamedMutexes, by (lock name, key); lease_mutex_: the one
  // lease_ came from, if any.
  using AnyMutex = std::variant<std::unique_ptr<lock::NamedMutex<Locks>>...>;
  std::map<std::pair<std::string, std::string>, AnyMutex> mutexes_;
  const AnyMutex* lease_mutex_ = nullptr;
  std::vector<GuardFrame*> guards_;  // the guard steps' scopes, innermost last
  // One lock manager per lock the client's manager steps used, by lock name;
  // declared last so it goes first: its contenders stop before the rest.
  std::map<std::string, std::variant<std::unique_ptr<lock::LockManager<Locks>>...>, std::less<>> managers_;
};

template <StepEnvironment Env, typename... Locks>
void run_steps(Env& env, LockTable<Locks...> locks, const std::vector<Step>& steps) {
  StepInterpreter<Env, Locks...>(env, std::move(locks)).run(steps);
}

// One lock, as the scenario's own ("").
template <StepEnvironment Env, typename Lock>
void run_steps(Env& env, Lock& lock, const std::vector<Step>& steps) {
  run_steps(env, LockTable<Lock>{{"", &lock}}, steps);
}

}  // namespace locklab::scenarios
