// hiredis::Backend: construction (endpoints resolved once), time,
// randomness, spawned threads, shutdown and Event. The pools are in
// pool.cpp, the requests in fan_out.cpp.
#include "locklab/hiredis/backend.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <filesystem>
#include <system_error>
#include <utility>

#include "internal.hpp"
#include "locklab/assert.hpp"
#include "locklab/lock/options.hpp"

namespace locklab::hiredis {
namespace {

using lock::ConfigError;

// The backend whose spawned thread this is: shutdown() must not join itself.
thread_local const Backend* t_owner = nullptr;

class MergedStop {
 public:
  MergedStop(const std::stop_token& a, const std::stop_token& b)
      : on_a_(a, Wake{&source_}), on_b_(b, Wake{&source_}) {}
  std::stop_token token() const { return source_.get_token(); }
  bool stop_requested() const { return source_.stop_requested(); }

 private:
  struct Wake {
    std::stop_source* source;
    void operator()() const noexcept { source->request_stop(); }
  };
  std::stop_source source_;
  std::stop_callback<Wake> on_a_;
  std::stop_callback<Wake> on_b_;
};

template <typename Lock, typename Ready>
bool cv_wait_until(std::condition_variable_any& cv, Lock& lock, const std::stop_token& stop,
                Backend::time_point deadline, Ready ready) {
  if (deadline == Backend::time_point::max()) return cv.wait(lock, stop, std::move(ready));
  return cv.wait_until(lock, stop, deadline, std::move(ready));
}

std::string endpoint_text(const Endpoint& e) {
  if (!e.unix_path.empty()) return "unix:" + e.unix_path;
  return e.host + ":" + std::to_string(e.port);
}

detail::Address resolve(const Endpoint& e, std::size_t index) {
  detail::Address a;
  if (!e.unix_path.empty()) {
    // Normalised ("/run//redis/./r.sock" is "/run/redis/r.sock"), so that the
    // duplicate check compares paths, not spellings. Symbolic links are not
    // resolved (the socket may not exist yet): the run_id check covers them.
    const std::string path = std::filesystem::path(e.unix_path).lexically_normal().string();
    sockaddr_un un{};
    if (path.size() >= sizeof un.sun_path) {
      throw ConfigError("hiredis::Backend: endpoint " + std::to_string(index) +
                        ": unix socket path too long: " + e.unix_path);
    }
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, path.data(), path.size());
    std::memcpy(&a.storage, &un, sizeof un);
    a.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    a.text = "unix:" + path;
    return a;
  }
  if (e.port <= 0 || e.port > 65535) {
    throw ConfigError("hiredis::Backend: endpoint " + std::to_string(index) + " (" +
                      endpoint_text(e) + "): port out of range");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(e.port);
  const int rc = ::getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    throw ConfigError("hiredis::Backend: endpoint " + std::to_string(index) + " (" +
                      endpoint_text(e) + "): cannot resolve host: " + ::gai_strerror(rc));
  }
  // The first address getaddrinfo prefers; no fallback to the others.
  std::memcpy(&a.storage, found->ai_addr, found->ai_addrlen);
  a.length = found->ai_addrlen;
  ::freeaddrinfo(found);
  // Printed into a buffer: GCC 12 warns falsely (-Wrestrict) on the
  // std::string concatenations of the same text.
  char text[INET6_ADDRSTRLEN] = {};
  char printed[INET6_ADDRSTRLEN + 16] = {};
  if (a.storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a.storage);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    std::snprintf(printed, sizeof printed, "%s:%d", text, e.port);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    std::snprintf(printed, sizeof printed, "[%s]:%d", text, e.port);
  }
  a.text = printed;
  return a;
}

std::string handshake_of(const Endpoint& e, int& replies) {
  std::string out;
  replies = 0;
  if (!e.password.empty()) {
    out += e.user.empty() ? detail::format_command({"AUTH", e.password})
                          : detail::format_command({"AUTH", e.user, e.password});
    ++replies;
  } else if (!e.user.empty()) {
    throw ConfigError("hiredis::Backend: endpoint " + endpoint_text(e) +
                      ": a user needs a password");
  }
  if (e.db != 0) {
    if (e.db < 0) throw ConfigError("hiredis::Backend: endpoint " + endpoint_text(e) + ": db < 0");
    out += detail::format_command({"SELECT", std::to_string(e.db)});
    ++replies;
  }
  return out;
}

}  // namespace

Backend::Backend(std::vector<Endpoint> endpoints, Options options)
    : impl_(std::make_unique<Impl>()) {
  if (endpoints.empty()) throw ConfigError("hiredis::Backend: no endpoints");
  if (options.max_in_flight == 0) throw ConfigError("hiredis::Backend: max_in_flight must be > 0");
  if (options.connect_timeout <= std::chrono::milliseconds::zero()) {
    throw ConfigError("hiredis::Backend: connect_timeout must be > 0");
  }
  impl_->options = options;
  impl_->shutdown = shutdown_.get_token();
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    auto node = std::make_unique<detail::Node>();
    node->address = resolve(endpoints[i], i);
    node->name = endpoint_text(endpoints[i]);
    node->connect_timeout = endpoints[i].connect_timeout > std::chrono::milliseconds::zero()
                                ? endpoints[i].connect_timeout
                                : options.connect_timeout;
    node->handshake = handshake_of(endpoints[i], node->handshake_replies);
    for (std::size_t j = 0; j < i; ++j) {
      const detail::Address& other = impl_->nodes[j]->address;
      if (other.length == node->address.length &&
          std::memcmp(&other.storage, &node->address.storage, other.length) == 0) {
        throw ConfigError("hiredis::Backend: endpoints " + std::to_string(j) + " (" +
                          impl_->nodes[j]->name + ") and " + std::to_string(i) + " (" +
                          node->name + ") are the same address " + node->address.text);
      }
    }
    node->endpoint = std::move(endpoints[i]);
    impl_->nodes.push_back(std::move(node));
  }
  impl_->shutdown_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->shutdown_fd.load() < 0) {
    throw std::system_error(errno, std::generic_category(), "hiredis::Backend: eventfd");
  }
  impl_->forks_seen.store(detail::forks());
  impl_->pool_pid.store(::getpid());
}

Backend::~Backend() {
  shutdown();
  for (auto& node : impl_->nodes) node->idle.clear();
  ::close(impl_->shutdown_fd.load());
}

std::size_t Backend::node_count() const { return impl_->nodes.size(); }

std::string Backend::node_name(std::size_t node) const {
  LOCKLAB_ASSERT_LT(node, impl_->nodes.size());
  return impl_->nodes[node]->name;
}

bool Backend::sleep_until(time_point t, std::stop_token stop) {
  if (stop.stop_requested() || shutting_down()) return false;
  MergedStop wake(stop, shutdown_.get_token());
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  (void)cv_wait_until(cv, lock, wake.token(), t, [] { return false; });
  return !wake.stop_requested();
}

bool Backend::sleep_for(duration d, std::stop_token stop) {
  const time_point now = clock::now();
  const time_point until = d >= time_point::max() - now ? time_point::max() : now + d;
  return sleep_until(until, std::move(stop));
}

namespace {

// Per thread, one getrandom(2) call fills eight draws: a system call costs
// 2-3 µs in the virtual machines this runs on, and every token takes two
// draws. A forked child never hands out what its parent buffered (both would
// draw the same tokens): the buffer remembers detail::forks() and is thrown
// away when that changed. A draw is wiped from the buffer as it is taken.
struct RandomBuffer {
  std::uint64_t words[8] = {};
  std::size_t next = std::size(words);
  std::uint64_t forks = 0;
};
thread_local RandomBuffer random_buffer;

void fill(RandomBuffer& buffer) {
  auto* bytes = reinterpret_cast<unsigned char*>(buffer.words);
  std::size_t got = 0;
  while (got < sizeof buffer.words) {
    const ssize_t n = ::getrandom(bytes + got, sizeof buffer.words - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    got += static_cast<std::size_t>(n);
  }
  buffer.next = 0;
}

}  // namespace

std::uint64_t Backend::random_u64() {
  RandomBuffer& buffer = random_buffer;
  const std::uint64_t forks = detail::forks();
  if (buffer.next == std::size(buffer.words) || buffer.forks != forks) {
    fill(buffer);
    buffer.forks = forks;
  }
  const std::uint64_t value = buffer.words[buffer.next];
  buffer.words[buffer.next++] = 0;
  return value;
}

bool Backend::spawn(std::string_view name, std::function<void()> task) {
  LOCKLAB_ASSERT(static_cast<bool>(task), "spawn needs a task");
  Impl& im = *impl_;
  im.check_fork();
  // Join the threads that have finished (each has at most its return left).
  std::vector<std::thread> done;
  {
    const std::lock_guard guard(im.threads_mutex);
    done.swap(im.finished);
  }
  for (std::thread& t : done) t.join();

  const std::lock_guard guard(im.threads_mutex);
  if (im.closing || im.running.size() >= im.options.max_tasks) return false;
  const std::uint64_t key = im.next_thread++;
  const auto slot = im.running.emplace(key, std::thread{}).first;
  try {
    slot->second = std::thread([this, key, label = std::string(name.substr(0, 15)),
                                task = std::move(task)]() mutable {
      t_owner = this;
      (void)pthread_setname_np(pthread_self(), label.c_str());
      task();
      task = nullptr;  // its captures die on its own thread, before the join
      const std::lock_guard retire(impl_->threads_mutex);
      const auto it = impl_->running.find(key);
      if (it == impl_->running.end()) return;  // shutdown() holds our handle
      impl_->finished.push_back(std::move(it->second));
      impl_->running.erase(it);
    });
  } catch (const std::system_error&) {  // out of threads: nothing started, nothing kept
    im.running.erase(slot);
    return false;
  }
  ++im.tasks_spawned;
  return true;
}

void Backend::shutdown() {
  LOCKLAB_ASSERT(t_owner != this,
                 "hiredis::Backend::shutdown() (or its destructor) called on one of its own "
                 "threads, which it would have to join");
  Impl& im = *impl_;
  im.check_fork();
  const std::lock_guard serial(im.shutdown_mutex);
  {
    const std::lock_guard guard(im.threads_mutex);
    im.closing = true;
  }
  if (!shutdown_.stop_requested()) {
    shutdown_.request_stop();
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(im.shutdown_fd.load(), &one, sizeof one);
  }
  // A call blocked in recv watches no eventfd: shutting its socket down
  // wakes it (recv returns 0), and it finds the stop requested above.
  for (const auto& node : im.nodes) {
    const std::lock_guard guard(node->mutex);
    for (const int fd : node->blocked_readers) (void)::shutdown(fd, SHUT_RDWR);
  }
  for (;;) {
    std::vector<std::thread> batch;
    {
      const std::lock_guard guard(im.threads_mutex);
      batch.swap(im.finished);
      for (auto& [key, t] : im.running) batch.push_back(std::move(t));
      im.running.clear();
    }
    if (batch.empty()) break;
    for (std::thread& t : batch) t.join();
  }
  for (auto& node : im.nodes) {
    std::vector<detail::ConnectionPtr> idle;
    {
      const std::lock_guard guard(node->mutex);
      idle.swap(node->idle);
    }
  }
}

Stats Backend::stats() const {
  const Impl& im = *impl_;
  return {.requests = im.requests.load(),
          .connections_opened = im.connections_opened.load(),
          .connections_dropped = im.connections_dropped.load(),
          .no_slot = im.no_slot.load(),
          .peak_in_flight = im.peak_in_flight.load(),
          .tasks_spawned = im.tasks_spawned.load()};
}

std::size_t Backend::in_flight() const {
  const std::lock_guard guard(impl_->slots_mutex);
  return impl_->in_flight;
}

std::size_t Backend::idle_connections(std::size_t node) const {
  LOCKLAB_ASSERT_LT(node, impl_->nodes.size());
  const std::lock_guard guard(impl_->nodes[node]->mutex);
  return impl_->nodes[node]->idle.size();
}

void Backend::Event::set() noexcept {
  {
    const std::lock_guard guard(mutex_);
    set_ = true;
  }
  cv_.notify_all();
}

void Backend::Event::reset() noexcept {
  const std::lock_guard guard(mutex_);
  set_ = false;
}

bool Backend::Event::is_set() const noexcept {
  const std::lock_guard guard(mutex_);
  return set_;
}

lock::WaitStatus Backend::Event::wait_until(time_point deadline, std::stop_token stop) {
  MergedStop wake(stop, shutdown_);
  std::unique_lock lock(mutex_);
  if (cv_wait_until(cv_, lock, wake.token(), deadline, [this] { return set_; })) return lock::WaitStatus::signalled;
  return wake.stop_requested() ? lock::WaitStatus::cancelled : lock::WaitStatus::timed_out;
}

}  // namespace locklab::hiredis
