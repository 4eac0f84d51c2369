// locklab/realserver/admin.hpp — a raw admin connection to a redis-server,
// for the harness's own commands (INFO, CLIENT KILL, REPLICAOF, CONFIG ...).
//
// Provides AdminReply (a RESP reply as a plain value) and AdminConnection: a
// blocking TCP or unix-socket connection with a timeout on every command.
// It sends with send(MSG_NOSIGNAL) on a socket of its own and parses with
// hiredis's redisReader, so it never raises SIGPIPE and never changes the
// process's signal dispositions (the lock library's SIGPIPE tests rely on
// the default disposition staying in place).
//
// Failures throw AdminError: connect (refused, no socket, timed out),
// timeout (no complete reply in time: a frozen server), closed (the server
// hung up: killed, CLIENT KILL), protocol. An error reply is a reply, not an
// exception; command_ok() turns one into AdminError(reply). After any
// exception the connection is closed, and further commands throw closed:
// a late reply can never be read as the answer to a later command.
//
// Not provided: pipelining, pub/sub, RESP3, AUTH (pass it as a command).
// This is the harness's side channel, not a client for the lock library.
//
// Thread-safety: not thread-safe; one thread uses a connection at a time.
//
//   AdminConnection admin("127.0.0.1", port);
//   AdminReply r = admin.command({"CLIENT", "KILL", "TYPE", "normal"});
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "locklab/realserver/error.hpp"

struct redisReader;  // hiredis's parser; its header stays in admin.cpp

namespace locklab::realserver {

struct AdminReply {
  enum class Type { status, error, integer, bulk, nil, array };
  Type type = Type::nil;
  std::string text{};         // status, error and bulk
  std::int64_t integer = 0;   // integer
  std::vector<AdminReply> elements{};  // array

  bool is_error() const { return type == Type::error; }
  bool is_ok() const { return type == Type::status && text == "OK"; }
};

// "+OK", "-ERR ...", ":1", "\"bulk\"", "(nil)", "[a, b]": for messages.
std::string to_string(const AdminReply& reply);

class AdminConnection {
 public:
  using Timeout = std::chrono::milliseconds;

  // TCP to host:port (an address, no name lookup), or a unix socket.
  AdminConnection(const std::string& host, int port, Timeout connect_timeout = Timeout{2000});
  explicit AdminConnection(const std::string& unix_path, Timeout connect_timeout = Timeout{2000});
  ~AdminConnection();
  AdminConnection(const AdminConnection&) = delete;
  AdminConnection& operator=(const AdminConnection&) = delete;

  // One command, its reply within `timeout`.
  AdminReply command(const std::vector<std::string>& argv, Timeout timeout = Timeout{2000});
  // As command(), but an error reply throws AdminError(reply).
  AdminReply command_ok(const std::vector<std::string>& argv, Timeout timeout = Timeout{2000});

  // "127.0.0.1:54321": this connection's address as the server lists it in
  // CLIENT LIST (addr=...), for CLIENT KILL ADDR. Empty for a unix socket.
  const std::string& local_address() const { return local_address_; }
  bool open() const { return fd_ >= 0; }

 private:
  void connect_to(const void* address, unsigned length, Timeout timeout);
  void close_now() noexcept;
  [[noreturn]] void fail(AdminError::Kind kind, const std::string& what);

  std::string peer_;  // for messages
  std::string local_address_{};
  int fd_ = -1;
  redisReader* reader_ = nullptr;
};

// The value of `field` in an INFO reply ("field:value" lines); empty when
// the field is absent.
std::string info_field(const std::string& info, const std::string& field);

}  // namespace locklab::realserver
