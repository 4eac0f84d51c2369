// decode_command parses commands straight into an Argv; decode_reply builds
// the general Reply tree. On any bytes — valid commands, commands with a
// byte changed, dropped or added, and token soup — the fast path accepts
// exactly what the general parser accepts as a command, with the same
// arguments, whether it fills a new Argv or reuses one.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "locklab/sim/redis/resp.hpp"

namespace locklab::sim::redis {
namespace {

// A command by way of the Reply tree: what decode_command used to do.
std::optional<Argv> by_reply_tree(std::string_view bytes) {
  std::optional<Reply> value = decode_reply(bytes);
  if (!value || value->type != ReplyType::array || value->elements.empty()) return std::nullopt;
  Argv argv;
  for (const Reply& e : value->elements) {
    if (e.type != ReplyType::bulk) return std::nullopt;
    argv.push_back(e.str);
  }
  return argv;
}

rc::Gen<std::string> token_soup() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
          "*", "$", ":", "+", "-", "0", "1", "2", "3", "9", "-1", "00", "01", "-0",
          "9223372036854775807", "9223372036854775808", "123456789012345678", "\r\n", "\r",
          "\n", "a", "SET", " ", std::string(1, '\0'))),
      [](const std::vector<std::string>& parts) {
        std::string out;
        for (const std::string& p : parts) out += p;
        return out;
      });
}

rc::Gen<std::string> mutated_command() {
  return rc::gen::exec([] {
    const auto argv = *rc::gen::nonEmpty(
        rc::gen::container<Argv>(rc::gen::container<std::string>(rc::gen::element('a', '\r', '\n', '$', '1'))));
    std::string wire = encode_command(argv);
    const int edits = *rc::gen::inRange(0, 3);
    for (int i = 0; i < edits && !wire.empty(); ++i) {
      const auto at = *rc::gen::inRange<std::size_t>(0, wire.size());
      switch (*rc::gen::inRange(0, 3)) {
        case 0: wire[at] = *rc::gen::element('*', '$', '-', '0', '9', '\r', '\n', 'x'); break;
        case 1: wire.erase(at, 1); break;
        default: wire.insert(at, 1, *rc::gen::element('0', '\r', '\n', '-')); break;
      }
    }
    return wire;
  });
}

void check_same(const std::string& bytes) {
  const std::optional<Argv> expected = by_reply_tree(bytes);
  RC_ASSERT(decode_command(bytes) == expected);
  Argv reused = {"left", "over", std::string(50, 'x')};
  RC_ASSERT(decode_command(bytes, reused) == expected.has_value());
  if (expected) RC_ASSERT(reused == *expected);
}

RC_GTEST_PROP(RespProperty, CommandParserMatchesTheReplyTreeOnTokenSoup, ()) {
  check_same(*token_soup());
}

RC_GTEST_PROP(RespProperty, CommandParserMatchesTheReplyTreeOnMutatedCommands, ()) {
  check_same(*mutated_command());
}

}  // namespace
}  // namespace locklab::sim::redis
