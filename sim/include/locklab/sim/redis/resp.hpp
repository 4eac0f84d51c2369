// locklab/sim/redis/resp.hpp — Redis values and the RESP2 wire format.
//
// Provides Reply (a RESP value: simple string, error, integer, bulk string,
// nil, array), Argv (a command: its arguments as binary-safe strings) and the
// RESP2 encoding of both, as redis-server and hiredis speak it.
//
// Deliberately absent: RESP3 (hiredis 0.14, the production client, speaks
// RESP2 only).
//
//   Reply r = Reply::status("OK");
//   std::string wire = encode(r);                        // "+OK\r\n"
//   std::string cmd = encode_command({"SET", "k", "v"});  // "*3\r\n$3\r\nSET\r\n..."
//   std::optional<Argv> back = decode_command(cmd);
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace locklab::sim::redis {

using Argv = std::vector<std::string>;

enum class ReplyType : std::uint8_t { status, error, integer, bulk, nil, array };

struct Reply {
  ReplyType type = ReplyType::nil;
  std::string str;           // status, error (without the leading '-'), bulk
  std::int64_t integer = 0;  // integer
  std::vector<Reply> elements;  // array

  static Reply status(std::string s) { return {ReplyType::status, std::move(s), 0, {}}; }
  static Reply error(std::string s) { return {ReplyType::error, std::move(s), 0, {}}; }
  static Reply integer_reply(std::int64_t n) { return {ReplyType::integer, {}, n, {}}; }
  static Reply bulk(std::string s) { return {ReplyType::bulk, std::move(s), 0, {}}; }
  static Reply nil() { return {}; }
  static Reply array(std::vector<Reply> items) { return {ReplyType::array, {}, 0, std::move(items)}; }
  static Reply ok() { return status("OK"); }

  bool is_error() const { return type == ReplyType::error; }
  friend bool operator==(const Reply&, const Reply&) = default;
};

// RESP2: "+OK\r\n", "-ERR ...\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*2\r\n...".
std::string encode(const Reply& reply);
// A command as clients send it: an array of bulk strings.
std::string encode_command(const Argv& argv);
// The same into `out` (replacing what it held, reusing its storage).
void encode(const Reply& reply, std::string& out);
void encode_command(const Argv& argv, std::string& out);

// Parses exactly one complete value; nullopt if the bytes are not one.
std::optional<Reply> decode_reply(std::string_view bytes);
std::optional<Argv> decode_command(std::string_view bytes);
// The same into `argv`, reusing its storage (a server reading command after
// command); false, with `argv` unspecified, if the bytes are not a command.
bool decode_command(std::string_view bytes, Argv& argv);
// Successive commands (an AOF): every complete command, in order; a
// truncated last one is left out, as redis-server loads a truncated AOF.
std::vector<Argv> decode_command_stream(std::string_view bytes);

// Human-readable, as redis-cli shows it: OK, (error) ERR ..., (integer) 1,
// "abc", (nil), 1) ... — for test failures and traces.
std::string to_display(const Reply& reply);

// GoogleTest and streams print replies as redis-cli shows them.
inline std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  return out << to_display(reply);
}

}  // namespace locklab::sim::redis
