// locklab/lock/detail/sequential_fan_out.hpp — FanOutMode::sequential over a
// backend's own one-node fan-out.
//
// Provides sequential_fan_out(nodes, stop, on_reply, expired, one): the
// contract of FanOutMode::sequential (backend.hpp) in one place for both
// backends. `expired()` says whether the fan-out's deadline has passed (by
// the backend's clock): a node whose turn comes after it is not sent
// (timed_out, not applied). `one` sends the command to one node and waits
// for its reply (its NOSCRIPT fallback included) or the deadline — the
// backend's parallel fan-out over that single node. Deliberately absent: any
// sending, waiting or clock of its own.
//
//   if (options_.fan_out == lock::FanOutMode::sequential && nodes.size() > 1) {
//     const auto expired = [&] { return now() >= deadline; };
//     return lock::detail::sequential_fan_out(nodes, stop, on_reply, expired, [&](std::size_t node) {
//       const std::size_t only[] = {node};
//       return std::move(parallel(only, command, deadline, stop, {}, fallback).front());
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

template <typename Expired, typename OneNode>
std::vector<NodeResult> sequential_fan_out(std::span<const std::size_t> nodes, const std::stop_token& stop,
                                           const ReplyObserver& on_reply, Expired&& expired, OneNode&& one) {
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
    if (expired()) {
      out.push_back(std::unexpected(NodeError{NodeErrorKind::timed_out, false, "not sent by the deadline"}));
      continue;
    }
    out.push_back(one(nodes[i]));
    if (on_reply && !on_reply(i, out.back())) observer_stopped = true;
  }
  return out;
}

}  // namespace locklab::lock::detail
