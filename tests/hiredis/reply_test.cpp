// redisReply → lock::Reply, every RESP2 type, nested, binary-safe: the bytes
// are parsed by hiredis's own reader, as the backend does.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "internal.hpp"

namespace locklab::hiredis {
namespace {

using lock::Reply;

Reply parse(const std::string& bytes) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(),
                                                             redisReaderFree);
  EXPECT_EQ(redisReaderFeed(reader.get(), bytes.data(), bytes.size()), REDIS_OK);
  void* raw = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader.get(), &raw), REDIS_OK);
  EXPECT_NE(raw, nullptr) << bytes;
  if (raw == nullptr) return Reply::error("no reply");
  Reply r = detail::to_reply(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return r;
}

TEST(HiredisReply, EveryTypeConverts) {
  EXPECT_EQ(parse("+OK\r\n"), Reply::ok());
  EXPECT_EQ(parse("-NOSCRIPT No matching script\r\n"), Reply::error("NOSCRIPT No matching script"));
  EXPECT_EQ(parse(":-42\r\n"), Reply::integer_reply(-42));
  EXPECT_EQ(parse("$3\r\nabc\r\n"), Reply::bulk("abc"));
  EXPECT_EQ(parse("$-1\r\n"), Reply::nil());
  EXPECT_EQ(parse("*-1\r\n"), Reply::nil());
  EXPECT_EQ(parse("*0\r\n"), Reply::array({}));
}

TEST(HiredisReply, BulkIsBinarySafe) {
  const std::string value("a\0b\r\nc", 6);
  EXPECT_EQ(parse("$6\r\n" + value + "\r\n"), Reply::bulk(value));
}

TEST(HiredisReply, NestedArraysConvertRecursively) {
  const Reply r = parse("*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n-ERR bad\r\n");
  EXPECT_EQ(r, Reply::array({Reply::integer_reply(1),
                             Reply::array({Reply::bulk("x"), Reply::nil()}),
                             Reply::error("ERR bad")}));
}

TEST(HiredisReply, FormattedCommandIsBinarySafeRespArray) {
  const std::string key("k\0y", 3);
  EXPECT_EQ(detail::format_command({"SET", key, ""}),
            std::string("*3\r\n$3\r\nSET\r\n$3\r\nk\0y\r\n$0\r\n\r\n", 28));
}

// The backend formats commands itself; hiredis's formatter is the reference.
TEST(HiredisReply, FormattedCommandIsWhatHiredisFormats) {
  const std::string long_arg(12345, 'x');
  const std::string binary("a\0\r\n\xff", 5);
  const std::vector<lock::Command> commands = {
      {"PING"},
      {"SET", "lock", "0123456789abcdef0123456789abcdef", "NX", "PX", "10000"},
      {"EVALSHA", "d02e481a9c91ceec59c5822a58a49d5d5d7ac80b", "1", "lock", binary},
      {"SET", long_arg, ""},
      {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"},
  };
  for (const lock::Command& c : commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (std::string_view a : c) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* raw = nullptr;
    const int n =
        redisFormatCommandArgv(&raw, static_cast<int>(c.size()), argv.data(), lengths.data());
    ASSERT_GT(n, 0);
    const std::string expected(raw, static_cast<std::size_t>(n));
    redisFreeCommand(raw);
    EXPECT_EQ(detail::format_command(c), expected) << c.front();
  }
}

}  // namespace
}  // namespace locklab::hiredis
