// once_across_machines — a cron-style job that many machines start at the
// same minute and only one of them may run.
//
//   once_across_machines JOB HOST:PORT [HOST:PORT ...]
//
// One endpoint: a SingleNodeLock; several (independent masters, not
// replicas of one another): a RedLock over all of them. The lock is named
// after the job ("cron:JOB"), so different jobs never exclude each other.
//
// Exit status: 0 the job ran here; 3 another instance holds the lock (skipped,
// which is the normal case on all machines but one); 1 anything else, with
// the lock's typed outcome and each node's answer on stderr; 2 bad usage.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/hiredis/backend.hpp"
#include "locklab/lock/guard.hpp"
#include "locklab/lock/redlock.hpp"

using namespace locklab;
using namespace std::chrono_literals;

namespace {

constexpr int kRan = 0;
constexpr int kError = 1;
constexpr int kUsage = 2;
constexpr int kSkipped = 3;

// "host:port" → an Endpoint; nullopt when it is not one.
std::optional<hiredis::Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  int port = 0;
  const std::string_view digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port <= 0 || port > 65535) {
    return std::nullopt;
  }
  return hiredis::Endpoint{.host = std::string(text.substr(0, colon)), .port = port};
}

// What each node answered: the part of a failure an operator acts on
// (which server refused the connection, which one said LOADING, ...).
void print_nodes(const hiredis::Backend& backend, const std::vector<lock::NodeOutcome>& nodes) {
  for (const lock::NodeOutcome& n : nodes) {
    const std::string name = backend.node_name(n.node);
    if (n.result) {
      std::fprintf(stderr, "  %s: %s\n", name.c_str(),
                   n.granted ? "granted" : lock::to_display(*n.result).c_str());
    } else {
      std::fprintf(stderr, "  %s: %s%s %s\n", name.c_str(),
                   std::string(lock::name_of(n.result.error().kind)).c_str(),
                   n.result.error().maybe_applied ? " (may have been applied)" : "",
                   n.result.error().detail.c_str());
    }
  }
}

template <typename Lock>
int run_once(hiredis::Backend& backend, Lock& lock, const std::string& job) {
  // One attempt, not acquire()'s retries: if another machine holds the lock,
  // it is running the job right now, and waiting for it would run it twice.
  auto got = lock.try_acquire("cron:" + job, backend.now() + 2s);
  if (got.outcome == lock::Outcome::busy) {
    std::printf("skipped: another instance holds it (job %s)\n", job.c_str());
    return kSkipped;
  }
  if (!got) {
    // timed_out, indeterminate (some node may hold it for us until the TTL),
    // a refused connection, ...: not "someone else runs it", so not skipped.
    std::fprintf(stderr, "error: job %s: lock %s: %s\n", job.c_str(),
                 std::string(lock::name_of(got.outcome)).c_str(), got.detail.c_str());
    print_nodes(backend, got.nodes);
    return kError;
  }
  // The guard releases at scope exit, so a job that throws does not keep
  // the other machines out for a whole TTL.
  lock::LeaseGuard guard(lock, std::move(*got.lease));

  // The job itself. A real one would hand the fencing token to whatever it
  // writes, so that storage can refuse a holder that overran its lease
  // (see fenced_inventory).
  std::printf("ran job %s with token %llu\n", job.c_str(),
              static_cast<unsigned long long>(*guard.lease().fencing_token));

  // A job that outlived its lease may have overlapped with another machine's
  // run: say so rather than exit as if all was well.
  if (!guard.lease().valid_at(backend.now())) {
    std::fprintf(stderr, "error: job %s outlived its lease (TTL %lld ms)\n", job.c_str(),
                 static_cast<long long>(guard.lease().ttl.count()));
    return kError;
  }
  const lock::ReleaseResult released = guard.release();
  if (!released.released()) {
    // Harmless for correctness (the key frees by its TTL), worth a line.
    std::fprintf(stderr, "warning: release %s %s\n",
                 std::string(lock::name_of(released.outcome)).c_str(), released.detail.c_str());
  }
  return kRan;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s JOB HOST:PORT [HOST:PORT ...]\n", argv[0]);
    return kUsage;
  }
  const std::string job = argv[1];
  std::vector<hiredis::Endpoint> endpoints;
  for (int i = 2; i < argc; ++i) {
    auto endpoint = parse_endpoint(argv[i]);
    if (!endpoint) {
      std::fprintf(stderr, "error: '%s' is not HOST:PORT\n", argv[i]);
      return kUsage;
    }
    endpoints.push_back(*endpoint);
  }
  try {
    hiredis::Backend backend(std::move(endpoints), {.connect_timeout = 500ms});
    // The TTL bounds how long a crashed machine keeps the others out; it
    // must exceed the job's run time. Fencing gives every run a token that
    // grows from one run to the next.
    const lock::LockOptions options{.ttl = 60s, .fencing = true};
    // Locks are declared after the backend, so they are destroyed before it.
    if (backend.node_count() == 1) {
      lock::SingleNodeLock<hiredis::Backend> lock(backend, options);
      return run_once(backend, lock, job);
    }
    lock::RedLock<hiredis::Backend> lock(backend, options);
    return run_once(backend, lock, job);
  } catch (const lock::ConfigError& e) {
    // Two endpoints naming one server, a host that does not resolve, ...
    std::fprintf(stderr, "error: %s\n", e.what());
    return kError;
  }
}
