// lockimpl/hiredis/src/fan_out.hpp — one fan-out (or call) in progress:
// its entries (one per listed node) and their state machines. Private to the
// library.
//
// An entry goes wait_slot → (connecting → handshake →) request → done. The
// handshake (AUTH, SELECT, INFO server) runs on new connections only, and the
// request is written once its replies are checked. The NOSCRIPT fallback is
// written on the same connection as soon as the NOSCRIPT reply is parsed.
// fan_out_entry.cpp drives one entry on its socket's events; fan_out.cpp
// runs the wait over all of them (ppoll) and decides what the unanswered
// ones get; blocking_wait.cpp waits for a lone request's reply in a
// blocking recv instead, when nothing else needs watching.
//
// Threads: a FanOut lives on the calling thread, for one call; it touches
// the shared state only through Backend::Impl (pools, slots, run_ids).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <poll.h>

#include "internal.hpp"
#include "locklab/assert.hpp"

namespace locklab::hiredis::detail {

using lock::NodeResult;
using time_point = Backend::time_point;

enum class Phase : std::uint8_t { wait_slot, connecting, handshake, request, done };
enum class HandshakeStep : std::uint8_t { auth, select, info };
enum class Why : std::uint8_t { running, deadline, cancelled, shutdown, observer };

struct Entry {
  std::size_t node = 0;
  Phase phase = Phase::wait_slot;
  ConnectionPtr connection;
  bool has_slot = false;
  bool slot_denied = false;  // asked for a slot and found none free
  bool sent = false;         // a byte of the request has been written
  bool in_fallback = false;  // the fallback replaced the request
  std::vector<HandshakeStep> steps;  // handshake replies still awaited, in order
  std::string handshake_bytes;
  std::string_view out;      // bytes still to write
  time_point connect_deadline = time_point::max();
};

class FanOut {
 public:
  FanOut(Backend::Impl& im, std::span<const std::size_t> nodes, const lock::Command& command,
         const lock::Command& fallback, time_point deadline, const lock::ReplyObserver& on_reply)
      : im_(im), fallback_(fallback), deadline_(deadline), on_reply_(on_reply),
        entries_(nodes.size()), results_(nodes.size()) {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      LOCKLAB_ASSERT_LT(nodes[i], im.nodes.size());
      entries_[i].node = nodes[i];
    }
    command_bytes_ = detail::format_command(command);
  }

  // Whatever ends the wait (on_reply may throw), the unfinished entries give
  // back their slots and close their connections.
  ~FanOut() {
    for (Entry& e : entries_) release(e, false);
  }
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  std::vector<NodeResult> run(const std::stop_token& stop);

 private:
  // fan_out.cpp: the wait.
  Why start_all(const std::stop_token& stop);
  void take_pooled(std::span<const std::size_t> indices);
  Why poll_once(int stop_fd, std::vector<pollfd>& polls, std::vector<std::size_t>& owners);
  Why timeouts_after_events(time_point looked);
  std::vector<NodeResult> results(Why why);
  // blocking_wait.cpp: one request, written, on one pooled connection.
  Why wait_in_recv();
  // fan_out_entry.cpp: one entry.
  void start(std::size_t i);
  void on_connected(std::size_t i);
  void begin_request(std::size_t i);
  void write(std::size_t i);
  void read(std::size_t i);
  // Takes every complete reply the entry's reader holds; then, when the
  // entry is still waiting, fails it on `eof` or a receive `error`.
  void take_replies(std::size_t i, bool eof, int error);
  void on_reply(std::size_t i, lock::Reply reply);
  void finish(std::size_t i, NodeResult result, bool reusable);
  void fail(std::size_t i, Stage stage, int errno_value, std::string_view detail = {});
  void release(Entry& e, bool reusable);
  Stage stage_of(const Entry& e) const;
  std::string where(const Entry& e) const { return im_.nodes[e.node]->name; }
  bool all_done() const { return done_ == entries_.size(); }

  Backend::Impl& im_;
  const lock::Command& fallback_;
  const time_point deadline_;
  const lock::ReplyObserver& on_reply_;
  std::string command_bytes_;
  std::optional<std::string> fallback_bytes_;  // formatted on the first NOSCRIPT
  std::vector<Entry> entries_;
  std::vector<std::optional<NodeResult>> results_;
  std::vector<std::size_t> starting_;  // start_all's entries with a slot
  std::vector<pollfd> idle_polls_;     // take_pooled's poll set
  std::size_t done_ = 0;
  bool observer_stopped_ = false;
};


}  // namespace locklab::hiredis::detail
