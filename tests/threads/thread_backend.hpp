// tests/threads/thread_backend.hpp — lockimpl's Backend on real threads, over
// a FakeRedis: the lock algorithms running truly concurrently, for tests
// (and ThreadSanitizer) that the fibers of the simulation cannot give.
//
// Provides ThreadBackend, which satisfies lock::Backend (lock/backend.hpp):
//   - now() and sleep_until() are std::chrono::steady_clock; a sleep wakes at
//     once when its stop token fires or the backend shuts down;
//   - random_u64() is a std::mt19937_64 seeded from the options (tests need
//     repeatable draws, not a CSPRNG);
//   - call() and fan_out() run each request on a thread of its own, so the
//     nodes are really asked in parallel; fan_out delivers on_reply on the
//     calling thread in arrival order, and sends the `fallback` (EVAL after
//     EVALSHA) on the request's own thread ("the same connection") to a node
//     that answered NOSCRIPT, within the same deadline. Every request that
//     finds a free slot leaves before any reply is looked at (as a socket
//     backend writes all its requests first), so an early stop by on_reply
//     never keeps a request from being sent. A request the caller stopped
//     waiting for keeps running in the background (it may still be applied:
//     the caller was told maybe_applied); the backend owns its thread, and
//     the thread owns a copy of the command's strings. A fan_out whose
//     deadline has already passed sends nothing (timed_out, not applied);
//   - at most max_in_flight requests are out at once (no_slot otherwise);
//   - spawn() runs a task on a new thread; shutdown() (and the destructor)
//     wakes every sleep, wait and fan_out of this backend and joins every
//     thread it started;
//   - Event is a manual-reset flag over a condition variable, Mutex is
//     std::mutex, NoThrowScope does nothing (nothing here unwinds a task).
//
// What a fan_out returns for an entry with no reply when it stops waiting:
//                     request sent (maybe_applied)   never sent (not applied)
//   deadline          timed_out                      no_slot if it found no
//                                                    free slot, else timed_out
//   stop token        cancelled                      cancelled
//   shutdown()        killed                         killed
//   on_reply → false  timed_out                      cancelled (it was
//                                                    waiting for a slot)
// A request that ends after shutdown() began is killed, maybe applied,
// whatever the node answered: shutdown tears the connections down. Every
// reply in the returned vector went through on_reply first, unless on_reply
// had returned false.
//
// Deliberately absent: sockets, RESP, connection pools (the fake's faults
// stand for them), a CSPRNG, and any test knob that alters what a request
// does: faults belong to FakeRedis; fail_spawns() is the one knob here.
//
//   FakeRedis redis(3);
//   ThreadBackend backend(redis, 3, {.seed = 7});
//   lock::RedLock<ThreadBackend> lock(backend, {.ttl = 10s});
//   auto got = lock.acquire("orders", backend.now() + 2s);
//   backend.shutdown();  // joins every thread it started
//
// Threads:
//   ThreadBackend: thread-safe — every member may be called from any thread
//     at once, except that shutdown() and the destructor must not run on one
//     of the backend's own threads (a spawned task or a request), which they
//     join (asserted). The FakeRedis must outlive it; its Events need not
//     (an Event keeps only the backend's shutdown stop token).
//   ThreadBackend::Event: thread-safe; set() and reset() never block for long
//     and never throw.
//   ThreadBackend::Mutex: std::mutex.
//   ThreadBackend::NoThrowScope: per task; does nothing.
//   ThreadBackendOptions, ThreadBackendStats: plain values.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fake_redis.hpp"
#include "locklab/lock/backend.hpp"

namespace locklab::testing {

namespace detail {
struct FanOut;  // thread_fan_out.cpp
}  // namespace detail

struct ThreadBackendOptions {
  std::uint64_t seed = 1;            // random_u64's stream
  std::size_t max_in_flight = 1024;  // requests out at once, fallbacks within their slot
};

// What the backend has done, for assertions.
struct ThreadBackendStats {
  std::uint64_t requests = 0;            // commands sent to a node, fallbacks included
  std::uint64_t no_slot = 0;             // requests that found no free slot in time
  std::size_t peak_in_flight = 0;        // most requests out at once
  std::uint64_t tasks_spawned = 0;       // spawn() calls that started a thread
  std::size_t peak_running_tasks = 0;    // most spawned tasks running at once
};

class ThreadBackend {
 public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;
  using TaskId = std::thread::id;

  // The backend reaches the first `node_count` nodes of `redis`.
  ThreadBackend(FakeRedis& redis, std::size_t node_count, ThreadBackendOptions options = {});
  ~ThreadBackend();  // shutdown()
  ThreadBackend(const ThreadBackend&) = delete;
  ThreadBackend& operator=(const ThreadBackend&) = delete;

  time_point now() const { return clock::now(); }
  // False if `stop` fired or the backend shut down before `t`.
  bool sleep_until(time_point t, std::stop_token stop = {});
  bool sleep_for(duration d, std::stop_token stop = {});
  std::uint64_t random_u64();

  std::size_t node_count() const { return node_count_; }
  std::string node_name(std::size_t node) const;

  lock::NodeResult call(std::size_t node, const lock::Command& command, time_point deadline,
                        std::stop_token stop = {});
  std::vector<lock::NodeResult> fan_out(std::span<const std::size_t> nodes,
                                        const lock::Command& command, time_point deadline,
                                        std::stop_token stop = {},
                                        const lock::ReplyObserver& on_reply = {},
                                        const lock::Command& fallback = lock::no_fallback());

  // False, having run nothing, after shutdown() began, while fail_spawns is
  // set, or when no thread can be started. A task that throws terminates the
  // process (as any std::thread does).
  bool spawn(std::string_view name, std::function<void()> task);
  TaskId current_task() const { return std::this_thread::get_id(); }

  // Wakes every sleep, Event wait and fan_out of this backend (they return
  // false, cancelled, killed), refuses new spawns and requests, and joins
  // every thread the backend started. Idempotent.
  void shutdown();
  bool shutting_down() const { return shutdown_.stop_requested(); }

  // Test knob: while set, spawn() returns false as if out of threads.
  void fail_spawns(bool fail) { fail_spawns_.store(fail); }

  ThreadBackendStats stats() const;
  std::size_t in_flight() const;  // requests out right now

  class Event {
   public:
    explicit Event(ThreadBackend& backend) : shutdown_(backend.shutdown_.get_token()) {}
    void set() noexcept;
    void reset() noexcept;
    bool is_set() const noexcept;
    // signalled once set; cancelled when `stop` fires or the backend shuts
    // down first; timed_out at `deadline` (max(): no deadline).
    lock::WaitStatus wait_until(time_point deadline, std::stop_token stop = {});

   private:
    std::stop_token shutdown_;
    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    bool set_ = false;
  };

  using Mutex = std::mutex;

  // A backend on threads never unwinds a task, so there is nothing to turn off.
  class NoThrowScope {
   public:
    explicit NoThrowScope(ThreadBackend& /*backend*/) {}
  };

 private:
  bool start_thread(std::string_view name, std::function<void()> body);
  void retire(std::uint64_t key);
  void reap_finished();

  void start_requests(const std::shared_ptr<detail::FanOut>& fan);
  void run_request(const std::shared_ptr<detail::FanOut>& fan, std::size_t index, bool has_slot);
  bool claim_late_slot(detail::FanOut& fan, std::size_t index,
                       std::optional<lock::NodeResult>& failed);
  bool try_take_slot();
  bool wait_for_slot(detail::FanOut& fan);
  void give_slot();
  static void raise_to(std::atomic<std::size_t>& peak, std::size_t value);
  lock::NodeResult send(detail::FanOut& fan, std::size_t node);

  FakeRedis& redis_;
  const std::size_t node_count_;
  const ThreadBackendOptions options_;
  std::stop_source shutdown_;
  std::atomic<bool> fail_spawns_{false};

  std::mutex rng_mutex_;
  std::mt19937_64 rng_;

  // Every thread the backend started and has not joined: running (keyed by
  // a serial number) or finished (retired by itself, joined by the next
  // start or by shutdown).
  std::mutex shutdown_mutex_;  // one shutdown() at a time
  std::mutex threads_mutex_;
  bool closing_ = false;
  std::uint64_t next_thread_ = 0;
  std::map<std::uint64_t, std::thread> running_;
  std::vector<std::thread> finished_;

  mutable std::mutex slots_mutex_;
  std::condition_variable_any slots_cv_;
  std::size_t in_flight_ = 0;

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> no_slot_{0};
  std::atomic<std::size_t> peak_in_flight_{0};
  std::atomic<std::uint64_t> tasks_spawned_{0};
  std::atomic<std::size_t> running_tasks_{0};
  std::atomic<std::size_t> peak_running_tasks_{0};
};

static_assert(lock::Backend<ThreadBackend>);

}  // namespace locklab::testing
