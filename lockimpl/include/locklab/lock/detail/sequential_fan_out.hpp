// locklab/lock/detail/sequential_fan_out.hpp — FanOutMode::sequential over a
// backend's own one-node fan-out.
//
// Provides sequential_fan_out(nodes, stop, on_reply, one): the contract of
// FanOutMode::sequential (backend.hpp) in one place for both backends. `one`
// sends the command to one node and waits for its reply (its NOSCRIPT
// fallback included) or the fan-out's deadline — the backend's parallel
// fan-out over that single node. Deliberately absent: any sending or waiting
// of its own; a node the deadline leaves no time for is `one`'s to report
// (timed_out, not sent).
//
//   if (options_.fan_out == lock::FanOutMode::sequential && nodes.size() > 1) {
//     return lock::detail::sequential_fan_out(nodes, stop, on_reply, [&](std::size_t node) {
//       const std::size_t only[] = {node};
//       return std::move(parallel(only, command, deadline, stop, fallback).front());
//     });
//   }
#pragma once

#include <cstddef>
#include <span>
#include <stop_token>
#include <utility>
#include <vector>

#include "locklab/lock/backend.hpp"
#include "locklab/lock/reply.hpp"

namespace locklab::lock::detail {

template <typename OneNode>
std::vector<NodeResult> sequential_fan_out(std::span<const std::size_t> nodes, const std::stop_token& stop,
                                           const ReplyObserver& on_reply, OneNode&& one) {
  std::vector<NodeResult> out;
  out.reserve(nodes.size());
  bool observer_stopped = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (observer_stopped) {
      out.push_back(std::unexpected(NodeError{NodeErrorKind::cancelled, false, "not sent: on_reply stopped the wait"}));
      continue;
    }
    if (stop.stop_requested()) {
      out.push_back(std::unexpected(NodeError{NodeErrorKind::cancelled, false, "cancelled before the request was sent"}));
      continue;
    }
    out.push_back(one(nodes[i]));
    if (on_reply && !on_reply(i, out.back())) observer_stopped = true;
  }
  return out;
}

}  // namespace locklab::lock::detail
