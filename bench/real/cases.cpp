#include "cases.hpp"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "locklab/lock/redlock.hpp"
#include "real/token.hpp"

namespace locklab::bench_real {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double ns_since(Clock::time_point start) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

std::vector<hiredis::Endpoint> endpoints(const Servers& servers, std::size_t count) {
  std::vector<hiredis::Endpoint> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back({.port = servers.port(i)});
  return out;
}

// One locklab acquire+release of `key`.
template <typename Lock>
Turn locklab_cycle(Lock& l, hiredis::Backend& backend, const std::string& key) {
  const auto start = Clock::now();
  auto got = l.acquire(key, backend.now() + 1s);
  const double acquire_ns = ns_since(start);
  if (!got) throw std::runtime_error("locklab: acquire of " + key + " failed: " + got.detail);
  if (l.release(*got.lease).outcome != lock::Outcome::released) {
    throw std::runtime_error("locklab: release of " + key + " failed");
  }
  return {.cycle_ns = ns_since(start), .acquire_ns = acquire_ns};
}

}  // namespace

struct Cases::Locks {
  Locks(hiredis::Backend& one, hiredis::Backend& five)
      : single(one, {.ttl = 10s}),
        redlock_early(five, {.ttl = 10s, .return_early = true}),
        redlock_all(five, {.ttl = 10s, .return_early = false}) {}
  lock::SingleNodeLock<hiredis::Backend> single;
  lock::RedLock<hiredis::Backend> redlock_early;
  lock::RedLock<hiredis::Backend> redlock_all;
};

Cases::Cases(const Servers& servers)
    : single_backend_(endpoints(servers, 1)),
      redlock_backend_(endpoints(servers, kRedLockServers)),
      locks_(std::make_unique<Locks>(single_backend_, redlock_backend_)),
      bare_(servers.port(0)),
      loop_(servers.ports()) {
  try {
    py_.emplace(servers.port(0), "bench:py");
  } catch (const std::exception& e) {
    py_problem_ = e.what();
  }
  // Connections opened, scripts cached on every server: the turns measure
  // the steady state.
  single_locklab();
  redlock_locklab(true);
  redlock_locklab(false);
}

Cases::~Cases() = default;

Turn Cases::single_locklab() {
  return locklab_cycle(locks_->single, single_backend_, "bench:locklab");
}

Turn Cases::single_hiredis() {
  const auto start = Clock::now();
  if (!bare_.cycle("bench:hiredis")) throw std::runtime_error("bare hiredis: a cycle failed");
  return {.cycle_ns = ns_since(start), .acquire_ns = 0};
}

Turn Cases::single_redis_py(int cycles) {
  if (!py_) throw std::runtime_error(py_problem_);
  return {.cycle_ns = static_cast<double>(py_->run(cycles)) / cycles, .acquire_ns = 0};
}

Turn Cases::redlock_locklab(bool return_early) {
  return return_early ? locklab_cycle(locks_->redlock_early, redlock_backend_, "bench:locklab:early")
                      : locklab_cycle(locks_->redlock_all, redlock_backend_, "bench:locklab:all");
}

Turn Cases::redlock_ppoll(bool return_early) {
  const std::string_view key = return_early ? "bench:ppoll:early" : "bench:ppoll:all";
  const auto start = Clock::now();
  const Token token = fresh_token();
  const std::string_view t(token.data(), token.size());
  const bool acquired = loop_.acquire(key, t, return_early);
  const double acquire_ns = ns_since(start);
  if (!acquired || !loop_.release(key, t)) throw std::runtime_error("ppoll loop: a cycle failed");
  return {.cycle_ns = ns_since(start), .acquire_ns = acquire_ns};
}

}  // namespace locklab::bench_real
