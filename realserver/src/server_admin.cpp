// Server's admin commands: each over a fresh AdminConnection, each failure
// re-thrown with the server named and its log tail appended.
#include <thread>

#include "locklab/realserver/server.hpp"

namespace locklab::realserver {
using Clock = std::chrono::steady_clock;

AdminReply Server::admin(const std::vector<std::string>& argv, Timeout timeout) const {
  try {
    AdminConnection c(host(), port_, timeout);
    return c.command(argv, timeout);
  } catch (const AdminError& e) {
    throw AdminError(e.kind(), describe() + ": " + e.what() + "; log tail:\n" + log_tail());
  }
}

AdminReply Server::admin_ok(const std::vector<std::string>& argv, Timeout timeout) const {
  AdminReply reply = admin(argv, timeout);
  if (reply.is_error()) {
    throw AdminError(AdminError::Kind::reply, describe() + ": " + (argv.empty() ? "" : argv[0]) +
                                                  " failed: " + reply.text + "; log tail:\n" +
                                                  log_tail());
  }
  return reply;
}

std::int64_t Server::client_kill(const std::vector<std::string>& filter) const {
  std::vector<std::string> argv = {"CLIENT", "KILL"};
  argv.insert(argv.end(), filter.begin(), filter.end());
  // The filter form skips the calling connection by default; say so anyway,
  // so the count is the clients of others.
  argv.insert(argv.end(), {"SKIPME", "yes"});
  const AdminReply reply = admin_ok(argv);
  if (reply.type != AdminReply::Type::integer) {
    throw AdminError(AdminError::Kind::protocol,
                     describe() + ": CLIENT KILL answered " + to_string(reply));
  }
  return reply.integer;
}

std::string Server::info(const std::string& section) const {
  return admin_ok({"INFO", section}).text;
}

void Server::promote() const { (void)admin_ok({"REPLICAOF", "NO", "ONE"}); }

void Server::replicate(const Server& master, Timeout timeout) const {
  (void)admin_ok({"REPLICAOF", host(), std::to_string(master.port())});
  wait_for_link(timeout);
}

void Server::wait_for_link(Timeout timeout) const {
  const auto until = Clock::now() + timeout;
  std::string last;
  for (;;) {
    last = info_field(info("replication"), "master_link_status");
    if (last == "up") return;
    if (Clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  throw Error(describe() + ": master_link_status is '" + last + "', not up, after " +
              std::to_string(timeout.count()) + " ms; log tail:\n" + log_tail());
}

}  // namespace locklab::realserver
