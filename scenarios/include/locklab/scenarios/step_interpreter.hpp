// locklab/scenarios/step_interpreter.hpp — runs a client's steps.
//
// Provides run_steps(): one lock client working through its steps
// (steps.hpp) with any lockimpl lock (RedLock, SingleNodeLock, NaiveLock),
// recording each operation it invokes — acquire, write, extend, release, a
// raw command — and how it completed, so the checkers in properties/ can
// judge the run. The interpreter knows nothing of worlds: an environment
// (StepEnvironment) gives it a clock, sleeps, the history, the protected
// storage, raw commands to nodes and random draws. scenarios/src/runner.cpp
// binds one to a simulated process; the same source can drive a client on
// real servers.
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
// fiber) that runs that client.
//
//   SimStepEnvironment env(process, history, &storage, ...);
//   scenarios::run_steps(env, lock, client.effective_steps());
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "locklab/history/operation.hpp"
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

template <StepEnvironment Env, typename Lock>
class StepInterpreter {
 public:
  StepInterpreter(Env& env, Lock& lock) : env_(env), lock_(lock) {}

  void run(const std::vector<Step>& steps) {
    for (const Step& step : steps) one(step);
  }

 private:
  using time_point = typename Env::time_point;
  using Lease = typename Lock::LeaseType;

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
               },
               step.kind);
  }

  void acquire(const AcquireStep& s) {
    const std::uint64_t id = env_.invoke(history::OpKind::acquire, s.key, 0);
    const auto deadline = in(s.deadline);
    auto got = s.ttl || s.single_attempt
                   ? lock_.acquire_for(s.key, s.ttl.value_or(lock_.options().options.ttl), deadline, {},
                                       s.single_attempt ? 1 : std::numeric_limits<int>::max())
                   : lock_.acquire(s.key, deadline);
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
    lease_.reset();
    if (got.acquired()) {
      LOCKLAB_ASSERT(got.lease.has_value(), "acquired without a lease");
      lease_ = std::move(*got.lease);
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
      if (!lease_->valid_at(in(needed))) return;
      env_.sleep_for(s.work);
      const std::uint64_t id = env_.invoke(history::OpKind::write, lease_->key, grant_);
      const WriteOutcome r =
          env_.write(grant_, lease_->fencing_token, env_.name() + "#" + std::to_string(writes_++), s.timeout);
      env_.complete(id, r.status, r.words, lease_->fencing_token, {}, {});
    }
  }

  void extend(const ExtendStep& s) {
    if (!lease_) return;
    const std::uint64_t id = env_.invoke(history::OpKind::extend, lease_->key, grant_);
    const auto r = lock_.extend(*lease_, in(s.deadline));
    const bool extended = r.outcome == lock::Outcome::extended;
    env_.complete(id, extend_status(r.outcome), std::string(lock::name_of(r.outcome)), lease_->fencing_token,
                  extended ? std::optional<time_point>(lease_->validity_end) : std::nullopt, {});
  }

  void release() {
    if (!lease_) return;
    const std::uint64_t id = env_.invoke(history::OpKind::release, lease_->key, grant_);
    const lock::ReleaseResult r = lock_.release(*lease_);
    env_.complete(id, release_status(r.outcome), std::string(lock::name_of(r.outcome)), {}, {}, {});
    lease_.reset();
  }

  void command(const CommandStep& s) {
    const std::string key = s.argv.size() > 1 ? s.argv[1] : std::string();
    const std::uint64_t id = env_.invoke(history::OpKind::command, key, 0);
    const CommandOutcome r = env_.command(s);
    env_.complete(id, r.replied ? history::OpStatus::ok : history::OpStatus::info, r.words, {}, {}, {});
  }

  Env& env_;
  Lock& lock_;
  std::optional<Lease> lease_;
  std::uint64_t grant_ = 0;  // the history id of the acquire that got lease_
  int writes_ = 0;           // writes under lease_ so far, naming each write's value
};

template <StepEnvironment Env, typename Lock>
void run_steps(Env& env, Lock& lock, const std::vector<Step>& steps) {
  StepInterpreter<Env, Lock>(env, lock).run(steps);
}

}  // namespace locklab::scenarios
