// tests/properties/generated_history.hpp — a large valid history and storage
// log, built directly (no world), for the checkers' scale test and benchmark.
//
// Each cycle on a key: a client acquires (1 ms), writes with the key's next
// fencing token (1 ms), releases (1 ms), while the next client tries the same
// key and is refused (busy). Cycles rotate over `keys` keys, run 5 ms apart on
// each key, and hand the key to a different client each time, so every checker
// must find the history valid: beliefs never overlap, writes follow grant
// order, no wait outlasts a short bound, tokens rise and never repeat.
#pragma once

#include <fmt/format.h>

#include <cstdint>

#include "locklab/history/history.hpp"
#include "locklab/history/storage_log.hpp"

namespace locklab::properties::testing {

struct GeneratedRun {
  history::History history;
  history::StorageLog log;
  history::TrueTime end{};
};

inline GeneratedRun generated_run(std::size_t operations, std::uint32_t keys = 100,
                                  std::uint32_t clients = 8) {
  using namespace std::chrono_literals;
  GeneratedRun run;
  const std::size_t cycles = operations / 4;
  std::vector<std::uint64_t> fence(keys, 0);
  std::uint64_t id = 1;
  auto op = [&](std::uint32_t client, const std::string& key, history::OpKind kind,
                std::uint64_t grant, history::TrueTime invoked, history::TrueTime completed,
                history::OpStatus status, const char* outcome) {
    history::Operation o;
    o.id = id++;
    o.client = history::ProcessId{client};
    o.client_name = fmt::format("c{}", client);
    o.key = key;
    o.kind = kind;
    o.grant = grant;
    o.invoked_true = invoked;
    o.invoked_local = history::local_time(invoked.time_since_epoch());
    o.status = status;
    o.completed_true = completed;
    o.completed_local = history::local_time(completed.time_since_epoch());
    o.outcome = outcome;
    return o;
  };
  for (std::size_t i = 0; i < cycles; ++i) {
    const auto k = static_cast<std::uint32_t>(i % keys);
    const std::size_t round = i / keys;
    const std::string key = fmt::format("k{}", k);
    const auto holder = static_cast<std::uint32_t>((round + k) % clients + 1);
    const std::uint32_t waiter = holder % clients + 1;
    const history::TrueTime t = history::true_time(5ms * static_cast<std::int64_t>(round));
    const std::uint64_t token = ++fence[k];

    history::Operation acquire =
        op(holder, key, history::OpKind::acquire, 0, t, t + 1ms, history::OpStatus::ok, "acquired");
    const std::uint64_t grant = acquire.id;
    acquire.grant = grant;
    acquire.fencing_token = token;
    acquire.lock_token = fmt::format("{:032x}", i + 1);
    acquire.validity_end_true = t + 1s;
    acquire.validity_end_local = history::local_time(acquire.validity_end_true->time_since_epoch());
    run.history.append(std::move(acquire));
    run.history.append(op(waiter, key, history::OpKind::acquire, 0, t + 1ms + 500us, t + 2ms,
                          history::OpStatus::fail, "busy"));
    history::Operation write =
        op(holder, key, history::OpKind::write, grant, t + 1ms, t + 2ms, history::OpStatus::ok,
           "accepted");
    write.fencing_token = token;
    run.history.append(std::move(write));
    run.log.append({.writer = history::ProcessId{holder},
                    .writer_name = fmt::format("c{}", holder),
                    .grant = grant,
                    .fencing_token = token,
                    .payload = "w",
                    .applied_true = t + 1ms + 500us,
                    .accepted = true});
    run.history.append(
        op(holder, key, history::OpKind::release, grant, t + 3ms, t + 4ms, history::OpStatus::ok, "released"));
    run.end = std::max(run.end, t + 5ms);
  }
  return run;
}

}  // namespace locklab::properties::testing
