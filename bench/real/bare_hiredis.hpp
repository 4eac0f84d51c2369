// bench/real/bare_hiredis.hpp — the single-node baseline: what a careful
// programmer writes with plain hiredis 0.14 and nothing else. One blocking
// redisContext; a cycle is SET key token NX PX ttl, then EVALSHA of
// locklab's own release script (compare-and-delete) with the same token, a
// fresh getrandom token per cycle.
//
// Not provided: timeouts, reconnects, NOSCRIPT handling (the script is
// loaded once at construction) — the baseline is the floor, not a library.
#pragma once

#include <string>

struct redisContext;

namespace locklab::bench_real {

class BareHiredis {
 public:
  // Connects to 127.0.0.1:port and loads the release script; throws on failure.
  explicit BareHiredis(int port);
  ~BareHiredis();
  BareHiredis(const BareHiredis&) = delete;
  BareHiredis& operator=(const BareHiredis&) = delete;

  // One acquire+release of `key`; false if either step did not succeed.
  bool cycle(const std::string& key);

 private:
  redisContext* context_ = nullptr;
};

}  // namespace locklab::bench_real
