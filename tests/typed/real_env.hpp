// tests/typed/real_env.hpp — the typed lock suite's real environment.
//
// Provides RealEnv<N> (a LockEnv, env.hpp) and its RealContext: each run
// starts N redis-server processes without persistence on free loopback ports
// (locklab::realserver::Deployment) and runs the body on the calling thread,
// in real time. Every client of the context is a hiredis::Backend over all
// of them; tasks are the backend's threads.
//
// Faults are real: restart is SIGKILL and a new redis-server on the same
// port and directory (nothing was persisted, so it starts empty, script
// cache included); freeze and resume are SIGSTOP and SIGCONT (the kernel
// still accepts connections and buffers requests; they run on resume).
//
// A redis-server that cannot start throws, and the test fails: these tests
// never skip. The servers die with the thread that started them, which is
// the test's own.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/realserver/deployment.hpp"
#include "typed/env.hpp"

namespace locklab::typed {

class RealContext {
 public:
  using Backend = hiredis::Backend;

  explicit RealContext(realserver::Deployment& servers);
  RealContext(const RealContext&) = delete;
  RealContext& operator=(const RealContext&) = delete;

  Backend& backend() { return *backend_; }
  Backend& other() { return *other_; }
  Backend& client(ClientOptions options);
  std::size_t nodes() const { return servers_.masters(); }
  Backend::time_point now() const { return Backend::clock::now(); }
  void sleep_for(std::chrono::nanoseconds d) { (void)backend_->sleep_for(d); }
  lock::NodeResult raw(std::size_t node, const std::vector<std::string>& argv);
  void restart(std::size_t node) { servers_.master(node).restart(); }
  void freeze(std::size_t node) { servers_.master(node).freeze(); }
  void resume(std::size_t node) { servers_.master(node).resume(); }

 private:
  std::unique_ptr<Backend> open(ClientOptions options);

  realserver::Deployment& servers_;
  std::vector<hiredis::Endpoint> endpoints_;
  std::unique_ptr<Backend> observer_;  // for raw(): shares no connection with the clients
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Backend> other_;
  std::deque<std::unique_ptr<Backend>> clients_;
};

// Runs `body` on this thread against `nodes` fresh redis-servers.
void run_real(std::size_t nodes, const std::function<void(RealContext&)>& body);

template <std::size_t N>
struct RealEnv {
  using Backend = hiredis::Backend;
  using Context = RealContext;
  static constexpr std::size_t kNodes = N;
  static void run(const std::function<void(Context&)>& body) { run_real(N, body); }
};

static_assert(LockEnv<RealEnv<1>>);

}  // namespace locklab::typed
