// locklab/sim/redis/resp.hpp — Redis values and the RESP2 wire format.
//
// Provides Reply (a RESP value: simple string, error, integer, bulk string,
// nil, array — lockimpl's lock::Reply, shared so that replies cross from a
// simulated node to a lock unconverted), Argv (a command: its arguments as
// binary-safe strings) and the RESP2 encoding of both, as redis-server and
// hiredis speak it.
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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/reply.hpp"

namespace locklab::sim::redis {

using Argv = std::vector<std::string>;

// The RESP value type is lockimpl's (locklab/lock/reply.hpp): a simulated
// node's reply reaches a lock algorithm as it is, without conversion.
using ReplyType = lock::ReplyType;
using Reply = lock::Reply;
using lock::to_display;

// RESP2: "+OK\r\n", "-ERR ...\r\n", ":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*2\r\n...".
std::string encode(const Reply& reply);
// A command as clients send it: an array of bulk strings.
std::string encode_command(const Argv& argv);
// The same into `out` (replacing what it held, reusing its storage).
void encode(const Reply& reply, std::string& out);
void encode_command(const Argv& argv, std::string& out);
// The same for arguments held as views (lockimpl's lock::Command).
void encode_command(std::span<const std::string_view> argv, std::string& out);

// Parses exactly one complete value; nullopt if the bytes are not one.
std::optional<Reply> decode_reply(std::string_view bytes);
std::optional<Argv> decode_command(std::string_view bytes);
// The same into `argv`, reusing its storage (a server reading command after
// command); false, with `argv` unspecified, if the bytes are not a command.
bool decode_command(std::string_view bytes, Argv& argv);
// Successive commands (an AOF): every complete command, in order; a
// truncated last one is left out, as redis-server loads a truncated AOF.
std::vector<Argv> decode_command_stream(std::string_view bytes);

}  // namespace locklab::sim::redis
