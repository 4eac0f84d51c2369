// The backend's pure parts: the one error mapping (map_failure), the
// conversion of hiredis replies to lock::Reply, and command formatting.
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "internal.hpp"
#include "locklab/assert.hpp"

namespace locklab::hiredis {

std::string_view name_of(Stage stage) {
  switch (stage) {
    case Stage::slot: return "slot";
    case Stage::connect: return "connect";
    case Stage::handshake: return "handshake";
    case Stage::stale: return "stale";
    case Stage::send: return "send";
    case Stage::reply: return "reply";
  }
  return "unknown";
}

lock::NodeError map_failure(Stage stage, int errno_value, std::string_view detail) {
  using K = lock::NodeErrorKind;
  // Once any byte of the request left, the node may have executed it.
  const bool sent = stage == Stage::reply;
  std::string why(detail);
  auto with = [&](std::string_view what) {
    std::string text(what);
    if (!why.empty()) text += ": " + why;
    return text;
  };
  const std::string at = std::string(" (") + std::string(name_of(stage)) + ")";
  switch (errno_value) {
    case ETIMEDOUT: return {K::timed_out, sent, with("timed out" + at)};
    case ECANCELED: return {K::cancelled, sent, with("cancelled by the caller" + at)};
    case ESHUTDOWN: return {K::killed, sent, with("the backend is shutting down" + at)};
    case EBUSY: return {K::no_slot, false, with("no in-flight slot before the deadline")};
    case EPROTO: return {K::protocol, sent, with("not a RESP reply" + at)};
    case EACCES: return {K::misconfigured, false, with("AUTH refused: check the endpoint's user/password")};
    case EINVAL: return {K::misconfigured, false, with("the connection handshake was refused")};
    case EEXIST: return {K::misconfigured, false, with("duplicate server")};
    default: break;
  }
  if (stage == Stage::slot) return {K::no_slot, false, with("no in-flight slot")};
  if (stage == Stage::connect) {
    return {K::refused, false,
            with("cannot connect: " + std::error_code(errno_value, std::generic_category()).message())};
  }
  const std::string text =
      errno_value == 0 ? std::string("connection closed by the server")
                       : std::error_code(errno_value, std::generic_category()).message();
  return {K::connection_lost, sent, with(text + at)};
}

namespace detail {

lock::Reply to_reply(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STATUS: return lock::Reply::status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR: return lock::Reply::error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER: return lock::Reply::integer_reply(static_cast<std::int64_t>(r.integer));
    case REDIS_REPLY_STRING: return lock::Reply::bulk(std::string(r.str, r.len));
    case REDIS_REPLY_NIL: return lock::Reply::nil();
    case REDIS_REPLY_ARRAY: {
      std::vector<lock::Reply> items;
      items.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) items.push_back(to_reply(*r.element[i]));
      return lock::Reply::array(std::move(items));
    }
    default: break;
  }
  return lock::Reply::error("ERR locklab: hiredis reply of unknown type " + std::to_string(r.type));
}

namespace {

std::size_t decimal_length(std::size_t n) {
  std::size_t length = 1;
  while (n >= 10) {
    n /= 10;
    ++length;
  }
  return length;
}

// Writes `kind`, n in decimal and CRLF at `at`; returns the end.
char* put_header(char* at, char kind, std::size_t n) {
  *at++ = kind;
  char* const end = at + decimal_length(n);
  char* digit = end;
  do {
    *--digit = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  end[0] = '\r';
  end[1] = '\n';
  return end + 2;
}

}  // namespace

// The bytes redisFormatCommandArgv writes (a test checks they are the same),
// without it: hiredis 0.14 formats each length with sprintf, about 9 k
// instructions for a lock's two commands, which was the largest user-space
// cost of a single-node cycle. Sized first, then written in place.
std::string format_command(const lock::Command& command) {
  LOCKLAB_ASSERT(!command.empty(), "an empty command");
  std::size_t size = 1 + decimal_length(command.size()) + 2;
  for (std::string_view arg : command) size += 1 + decimal_length(arg.size()) + 2 + arg.size() + 2;
  std::string out(size, '\0');
  char* at = put_header(out.data(), '*', command.size());
  for (std::string_view arg : command) {
    at = put_header(at, '$', arg.size());
    if (!arg.empty()) std::memcpy(at, arg.data(), arg.size());
    at += arg.size();
    *at++ = '\r';
    *at++ = '\n';
  }
  LOCKLAB_ASSERT_EQ(static_cast<std::size_t>(at - out.data()), size);
  return out;
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
  if (reader_ != nullptr) redisReaderFree(reader_);
}

bool Connection::has_unparsed_bytes() const { return reader_->pos < reader_->len; }

}  // namespace detail
}  // namespace locklab::hiredis
