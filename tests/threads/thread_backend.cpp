// ThreadBackend: time, randomness, the threads it owns, and Event. The
// requests (call, fan_out) are in thread_fan_out.cpp.
#include "thread_backend.hpp"

#include <pthread.h>

#include <system_error>
#include <utility>

#include "locklab/assert.hpp"
#include "waiting.hpp"

namespace locklab::testing {
namespace {

// The backend whose thread this is (nullptr on other threads): shutdown()
// must not be called from a thread it would have to join.
thread_local const ThreadBackend* t_owner = nullptr;

}  // namespace

ThreadBackend::ThreadBackend(FakeRedis& redis, std::size_t node_count,
                             ThreadBackendOptions options)
    : redis_(redis), node_count_(node_count), options_(options), rng_(options.seed) {
  LOCKLAB_ASSERT(node_count > 0, "a ThreadBackend needs at least one node");
  LOCKLAB_ASSERT_LE(node_count, redis.node_count());
  LOCKLAB_ASSERT(options.max_in_flight > 0, "max_in_flight must be positive");
}

ThreadBackend::~ThreadBackend() { shutdown(); }

std::string ThreadBackend::node_name(std::size_t node) const {
  LOCKLAB_ASSERT_LT(node, node_count_);
  return redis_.node_name(node);
}

bool ThreadBackend::sleep_until(time_point t, std::stop_token stop) {
  if (stop.stop_requested() || shutting_down()) return false;
  detail::MergedStop wake(stop, shutdown_.get_token());
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  (void)detail::wait_until(cv, lock, wake.token(), t, [] { return false; });
  return !wake.stop_requested();
}

bool ThreadBackend::sleep_for(duration d, std::stop_token stop) {
  const time_point now = clock::now();
  const time_point until = d >= time_point::max() - now ? time_point::max() : now + d;
  return sleep_until(until, std::move(stop));
}

std::uint64_t ThreadBackend::random_u64() {
  const std::lock_guard guard(rng_mutex_);
  return rng_();
}

bool ThreadBackend::spawn(std::string_view name, std::function<void()> task) {
  LOCKLAB_ASSERT(static_cast<bool>(task), "spawn needs a task");
  if (fail_spawns_.load()) return false;
  const bool started = start_thread(name, [this, task = std::move(task)]() mutable {
    raise_to(peak_running_tasks_, ++running_tasks_);
    task();
    task = nullptr;  // its captures die on its own thread, before the join
    --running_tasks_;
  });
  if (started) ++tasks_spawned_;
  return started;
}

// Starts `body` on a new thread registered in running_. The thread retires
// itself (moves its handle to finished_) as its last act, under
// threads_mutex_, which this function holds until the handle is stored: a
// thread that ends at once still finds its handle.
bool ThreadBackend::start_thread(std::string_view name, std::function<void()> body) {
  reap_finished();
  const std::lock_guard guard(threads_mutex_);
  if (closing_) return false;
  const std::uint64_t key = next_thread_++;
  const auto slot = running_.emplace(key, std::thread{}).first;
  try {
    slot->second = std::thread([this, key, label = std::string(name.substr(0, 15)),
                                body = std::move(body)]() mutable {
      t_owner = this;
      (void)pthread_setname_np(pthread_self(), label.c_str());  // for debuggers and TSan
      body();
      body = nullptr;
      retire(key);
    });
  } catch (const std::system_error&) {  // out of threads: nothing started, nothing kept
    running_.erase(slot);
    return false;
  }
  return true;
}

void ThreadBackend::retire(std::uint64_t key) {
  const std::lock_guard guard(threads_mutex_);
  const auto it = running_.find(key);
  if (it == running_.end()) return;  // shutdown() holds the handle and joins us
  finished_.push_back(std::move(it->second));
  running_.erase(it);
}

// Joins the threads that have retired; each has at most its return left.
void ThreadBackend::reap_finished() {
  std::vector<std::thread> done;
  {
    const std::lock_guard guard(threads_mutex_);
    done.swap(finished_);
  }
  for (std::thread& t : done) t.join();
}

void ThreadBackend::shutdown() {
  LOCKLAB_ASSERT(t_owner != this,
                 "ThreadBackend::shutdown() (or its destructor) called on one of its own threads, "
                 "which it would have to join");
  const std::lock_guard serial(shutdown_mutex_);
  {
    const std::lock_guard guard(threads_mutex_);
    closing_ = true;
  }
  shutdown_.request_stop();
  // No thread starts once closing_ is set, so one pass joins them all; the
  // loop is for clarity, not need.
  for (;;) {
    std::vector<std::thread> batch;
    {
      const std::lock_guard guard(threads_mutex_);
      batch.swap(finished_);
      for (auto& [key, t] : running_) batch.push_back(std::move(t));
      running_.clear();
    }
    if (batch.empty()) return;
    for (std::thread& t : batch) t.join();
  }
}

void ThreadBackend::raise_to(std::atomic<std::size_t>& peak, std::size_t value) {
  std::size_t seen = peak.load();
  while (seen < value && !peak.compare_exchange_weak(seen, value)) {
  }
}

ThreadBackendStats ThreadBackend::stats() const {
  return {.requests = requests_.load(),
          .no_slot = no_slot_.load(),
          .peak_in_flight = peak_in_flight_.load(),
          .tasks_spawned = tasks_spawned_.load(),
          .peak_running_tasks = peak_running_tasks_.load()};
}

std::size_t ThreadBackend::in_flight() const {
  const std::lock_guard guard(slots_mutex_);
  return in_flight_;
}

void ThreadBackend::Event::set() noexcept {
  {
    const std::lock_guard guard(mutex_);
    set_ = true;
  }
  cv_.notify_all();
}

void ThreadBackend::Event::reset() noexcept {
  const std::lock_guard guard(mutex_);
  set_ = false;
}

bool ThreadBackend::Event::is_set() const noexcept {
  const std::lock_guard guard(mutex_);
  return set_;
}

lock::WaitStatus ThreadBackend::Event::wait_until(time_point deadline, std::stop_token stop) {
  detail::MergedStop wake(stop, shutdown_);
  std::unique_lock lock(mutex_);
  if (detail::wait_until(cv_, lock, wake.token(), deadline, [this] { return set_; })) {
    return lock::WaitStatus::signalled;
  }
  return wake.stop_requested() ? lock::WaitStatus::cancelled : lock::WaitStatus::timed_out;
}

}  // namespace locklab::testing
