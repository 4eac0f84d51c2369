// RESP2 encoding and decoding, as redis-server and hiredis speak it.
#include <gtest/gtest.h>

#include "locklab/sim/redis/resp.hpp"

namespace locklab::sim::redis {
namespace {

TEST(Resp, EncodesEveryReplyType) {
  EXPECT_EQ(encode(Reply::ok()), "+OK\r\n");
  EXPECT_EQ(encode(Reply::error("ERR syntax error")), "-ERR syntax error\r\n");
  EXPECT_EQ(encode(Reply::integer_reply(-42)), ":-42\r\n");
  EXPECT_EQ(encode(Reply::bulk("a\r\nb")), "$4\r\na\r\nb\r\n");
  EXPECT_EQ(encode(Reply::bulk("")), "$0\r\n\r\n");
  EXPECT_EQ(encode(Reply::nil()), "$-1\r\n");
  EXPECT_EQ(encode(Reply::array({Reply::integer_reply(1), Reply::nil()})), "*2\r\n:1\r\n$-1\r\n");
}

TEST(Resp, CommandsRoundTripBinarySafe) {
  const Argv argv = {"SET", "k\r\n", std::string("\0v", 2), "PX", "100"};
  const std::string wire = encode_command(argv);
  EXPECT_EQ(wire.substr(0, 4), "*5\r\n");
  EXPECT_EQ(decode_command(wire), argv);
}

TEST(Resp, RepliesRoundTrip) {
  const Reply nested = Reply::array({Reply::status("PONG"), Reply::error("NOSCRIPT x"),
                                     Reply::array({Reply::bulk("in")}), Reply::array({})});
  EXPECT_EQ(decode_reply(encode(nested)), nested);
}

// Truncated, malformed or trailing bytes are rejected, never half-read.
TEST(Resp, RejectsMalformedInput) {
  EXPECT_FALSE(decode_reply(""));
  EXPECT_FALSE(decode_reply("+OK"));
  EXPECT_FALSE(decode_reply("$5\r\nabc\r\n"));
  EXPECT_FALSE(decode_reply(":12x\r\n"));
  EXPECT_FALSE(decode_reply("+OK\r\n+OK\r\n"));
  EXPECT_FALSE(decode_reply("?\r\n"));
  EXPECT_FALSE(decode_command("*1\r\n:1\r\n"));  // a command is bulk strings
  EXPECT_FALSE(decode_command("*0\r\n"));
}

TEST(Resp, DisplaysLikeRedisCli) {
  EXPECT_EQ(to_display(Reply::ok()), "OK");
  EXPECT_EQ(to_display(Reply::error("ERR x")), "(error) ERR x");
  EXPECT_EQ(to_display(Reply::integer_reply(3)), "(integer) 3");
  EXPECT_EQ(to_display(Reply::nil()), "(nil)");
  EXPECT_EQ(to_display(Reply::array({Reply::bulk("a"), Reply::bulk("b")})), "1) \"a\"\n2) \"b\"");
}

}  // namespace
}  // namespace locklab::sim::redis
