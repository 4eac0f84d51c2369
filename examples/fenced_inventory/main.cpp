// fenced_inventory — writers of a stock count fenced by the lock's token, so
// that a writer who lost its lease without knowing it (a GC pause, SIGSTOP, a
// suspended VM) cannot overwrite a newer writer's value.
//
//   fenced_inventory HOST:PORT slow|fast STOCK [TTL_MS]
//
// Both roles take a fenced SingleNodeLock named "lock:inventory" and write
// STOCK with a compare-and-set on the fencing token, run by Redis itself:
// the write is refused when the inventory has already accepted a larger
// token. The lock's own keys ("lock:inventory" and its counter
// "lock:inventory:fence") are kept apart from the data it protects
// ("inventory", and "inventory:fence", the largest token it accepted): a
// plain SET on the lock's key would make it permanent and lock everyone out.
//
//   slow: acquires, prints "holding token N (pid P)", then waits for a line on
//         stdin before writing. That wait stands for the pause that can come
//         between any check of the lease and the write; a test stops the
//         process with SIGSTOP there until its TTL has passed and a fast
//         writer has written. Exit 0 when its write was refused (fencing
//         worked), 2 when it was accepted.
//   fast: acquires (retrying until the slow writer's TTL has expired), writes
//         at once, exit 0 when the write was accepted, 2 when refused.
// Both: 1 on errors (the typed outcome and detail on stderr), 3 when the lock
// stayed busy, 4 bad usage.
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "locklab/hiredis/backend.hpp"
#include "locklab/lock/guard.hpp"
#include "locklab/lock/redlock.hpp"

using namespace locklab;
using namespace std::chrono_literals;

namespace {

constexpr int kAsExpected = 0;
constexpr int kError = 1;
constexpr int kNotAsExpected = 2;
constexpr int kBusy = 3;
constexpr int kUsage = 4;

// KEYS[1] the stock count, KEYS[2] the largest token the inventory accepted;
// ARGV[1] the writer's token, ARGV[2] the new count → 1 written, 0 stale.
// One script, so no other write can come between the check and the SET.
constexpr std::string_view kFencedWrite =
    "if tonumber(redis.call('GET', KEYS[2]) or '0') > tonumber(ARGV[1]) then return 0 end "
    "redis.call('SET', KEYS[2], ARGV[1]) redis.call('SET', KEYS[1], ARGV[2]) return 1";

std::optional<long long> parse_number(std::string_view text) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

std::optional<hiredis::Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const auto port = parse_number(text.substr(colon + 1));
  if (!port || *port <= 0 || *port > 65535) return std::nullopt;
  return hiredis::Endpoint{.host = std::string(text.substr(0, colon)), .port = static_cast<int>(*port)};
}

// Writes `stock` fenced by `token`: true accepted, false refused as stale,
// nullopt on an error (printed).
std::optional<bool> fenced_write(hiredis::Backend& backend, std::uint64_t token,
                                 const std::string& stock) {
  const std::string token_text = std::to_string(token);
  const lock::NodeResult r =
      backend.call(0, {"EVAL", kFencedWrite, "2", "inventory", "inventory:fence", token_text, stock},
                   backend.now() + 2s);
  if (!r) {
    // maybe_applied: the write may have happened; the caller cannot tell.
    std::fprintf(stderr, "error: write: %s%s %s\n",
                 std::string(lock::name_of(r.error().kind)).c_str(),
                 r.error().maybe_applied ? " (may have been applied)" : "", r.error().detail.c_str());
    return std::nullopt;
  }
  if (r->type != lock::ReplyType::integer) {
    std::fprintf(stderr, "error: write: unexpected reply %s\n", lock::to_display(*r).c_str());
    return std::nullopt;
  }
  return r->integer == 1;
}

int run(hiredis::Backend& backend, bool slow, const std::string& stock, std::chrono::milliseconds ttl) {
  lock::SingleNodeLock<hiredis::Backend> lock(backend, {.ttl = ttl, .fencing = true});
  // The fast writer retries: it is started while the slow one's key may
  // still be alive, and gets the lock once that key's TTL has run out.
  auto got = lock.acquire("lock:inventory", backend.now() + 10s);
  if (!got) {
    std::fprintf(stderr, "%s: lock %s: %s\n", got.outcome == lock::Outcome::busy ? "busy" : "error",
                 std::string(lock::name_of(got.outcome)).c_str(), got.detail.c_str());
    return got.outcome == lock::Outcome::busy ? kBusy : kError;
  }
  lock::LeaseGuard guard(lock, std::move(*got.lease));
  const std::uint64_t token = *guard.lease().fencing_token;

  if (slow) {
    std::printf("holding token %llu (pid %ld); waiting for a line on stdin to write\n",
                static_cast<unsigned long long>(token), static_cast<long>(::getpid()));
    std::fflush(stdout);  // the driving script waits for this line
    std::string line;
    std::getline(std::cin, line);
    // Deliberately no second look at the lease here: however late the check,
    // a pause can fall between it and the write. The token is what protects
    // the inventory.
  }

  const std::optional<bool> accepted = fenced_write(backend, token, stock);
  if (!accepted) return kError;
  std::printf("%s: stock %s with token %llu\n", *accepted ? "written" : "refused as stale",
              stock.c_str(), static_cast<unsigned long long>(token));
  // The slow writer's lease expired long ago: the guard's release finds the
  // key gone (not_held), which is harmless.
  return *accepted != slow ? kAsExpected : kNotAsExpected;
}

}  // namespace

int main(int argc, char** argv) {
  const auto usage = [&] {
    std::fprintf(stderr, "usage: %s HOST:PORT slow|fast STOCK [TTL_MS]\n", argv[0]);
    return kUsage;
  };
  if (argc < 4 || argc > 5) return usage();
  const auto endpoint = parse_endpoint(argv[1]);
  const std::string_view role = argv[2];
  const auto stock = parse_number(argv[3]);
  const auto ttl_ms = argc == 5 ? parse_number(argv[4]) : std::optional<long long>(10'000);
  if (!endpoint || (role != "slow" && role != "fast") || !stock || *stock < 0 || !ttl_ms) {
    return usage();
  }
  try {
    hiredis::Backend backend({*endpoint}, {.connect_timeout = 500ms});
    return run(backend, role == "slow", std::to_string(*stock), std::chrono::milliseconds(*ttl_ms));
  } catch (const lock::ConfigError& e) {
    // A TTL of zero, a host that does not resolve, ...
    std::fprintf(stderr, "error: %s\n", e.what());
    return kError;
  }
}
