// bench/real/cases.hpp — the cases real_lock_bench measures, each one turn
// at a time, over servers and clients set up once.
//
// A turn is a few acquire+release cycles of one case (one for the C++ cases,
// a batch for redis-py, whose child is asked over a pipe); it reports the
// mean cycle time and the mean acquire latency of its cycles (where the case
// can see the acquire alone). Cases throw std::runtime_error when a cycle
// does not succeed: an uncontended lock must always be acquired and released.
//
//   Cases cases(servers);
//   const Turn t = cases.single_locklab();
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "locklab/hiredis/backend.hpp"
#include "real/bare_hiredis.hpp"
#include "real/ppoll_loop.hpp"
#include "real/redis_py.hpp"
#include "real/servers.hpp"

namespace locklab::bench_real {

struct Turn {
  double cycle_ns = 0;    // per cycle
  double acquire_ns = 0;  // per acquire; 0 where the case cannot see it
};

class Cases {
 public:
  static constexpr std::size_t kRedLockServers = 5;
  static constexpr int kPythonTurn = 10;  // redis-py cycles per request to the child

  // Servers 0 (single node, redis-py) and 0..4 (RedLock).
  explicit Cases(const Servers& servers);
  ~Cases();

  Turn single_locklab();  // lock::SingleNodeLock over hiredis::Backend
  Turn single_hiredis();  // BareHiredis
  Turn single_redis_py(int cycles = kPythonTurn);  // redis-py's Lock
  Turn redlock_locklab(bool return_early);
  Turn redlock_ppoll(bool return_early);

  // Empty when redis-py runs; otherwise why not (the child's message).
  const std::string& redis_py_problem() const { return py_problem_; }

 private:
  struct Locks;  // the locklab locks, over the backends below
  hiredis::Backend single_backend_;
  hiredis::Backend redlock_backend_;
  std::unique_ptr<Locks> locks_;
  BareHiredis bare_;
  PpollLoop loop_;
  std::optional<RedisPy> py_;
  std::string py_problem_;
};

}  // namespace locklab::bench_real
