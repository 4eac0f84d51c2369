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
// Not thread-safe: one client's interpreter runs on the one thread (or
// fiber) that runs that client. A watch step's watchdog records its
// renewals and its loss from its own task, so the environment's invoke,
// complete and note must be safe to call from the lock backend's tasks
// while the client runs (in a simulated world they are fibers of the same
// thread).
//
//   SimStepEnvironment env(process, history, &storage, ...);
//   scenarios::run_steps(env, lock, client.effective_steps());            // one lock, as ""
//   scenarios::LockTable<Single, Red> locks{{"", &single}, {"fast", &red}};
//   scenarios::run_steps(env, locks, client.effective_steps());
#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "locklab/history/operation.hpp"
#include "locklab/lock/auto_extend.hpp"
#include "locklab/lock/detail/saturate.hpp"
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
  { env.invoke(kind, key, id) } -> std::same_as<std::uint64_t>;
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
               },
               step.kind);
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
    watchdog_.reset();  // a careless holder: stopped, not released
    lease_.reset();
    const std::uint64_t id = env_.invoke(history::OpKind::acquire, s.key, 0);
    const auto deadline = in(s.deadline);
    const AnyLock chosen = lock_named(s.lock);
    auto got = std::visit(
        [&](auto* l) {
          return s.ttl || s.single_attempt
                     ? l->acquire_for(s.key, s.ttl.value_or(l->options().options.ttl), deadline, {},
                                      s.single_attempt ? 1 : std::numeric_limits<int>::max())
                     : l->acquire(s.key, deadline);
        },
        chosen);
    std::optional<time_point> end;
    std::optional<std::uint64_t> fence;
    std::optional<std::string> token;
    if (got.lease) {
      end = got.lease->validity_end;
      fence = got.lease->fencing_token;
      token = got.lease->token;
    }
    env_.complete(id, acquire_status(got.outcome), std::string(lock::name_of(got.outcome)), fence, end,
                  std::move(token));
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
    if (!lease_ || watchdog_) return;  // a watched lease is the watchdog's to extend
    const std::uint64_t id = env_.invoke(history::OpKind::extend, lease_->key, grant_);
    const auto r = std::visit([&](auto* l) { return l->extend(*lease_, in(s.deadline)); }, lease_lock_);
    const bool extended = r.outcome == lock::Outcome::extended;
    env_.complete(id, extend_status(r.outcome), std::string(lock::name_of(r.outcome)), lease_->fencing_token,
                  extended ? std::optional<time_point>(lease_->validity_end) : std::nullopt, {});
  }

  void release() {
    if (!lease_) return;
    const std::uint64_t id = env_.invoke(history::OpKind::release, lease_->key, grant_);
    const lock::ReleaseResult r =
        watchdog_ ? std::visit([](auto& w) { return w->release(); }, *watchdog_)
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
    if (!lease_ || watchdog_) return;
    std::visit(
        [&](auto* l) {
          using L = std::remove_pointer_t<decltype(l)>;
          using Extender = lock::AutoExtender<L>;
          auto renewal = std::make_shared<std::uint64_t>(0);  // the renewal in flight's history id
          typename Extender::Options options{
              .renew_before = s.renew_before,
              .max_renewals = s.max_renewals,
              .on_renewing = [&env = env_, renewal, key = lease_->key,
                              grant = grant_] { *renewal = env.invoke(history::OpKind::extend, key, grant); },
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
