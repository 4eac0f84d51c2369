#include "bare_hiredis.hpp"

#include <hiredis/hiredis.h>

#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string_view>

#include "locklab/lock/scripts.hpp"
#include "token.hpp"

namespace locklab::bench_real {
namespace {

constexpr std::string_view kTtlMs = "10000";

// Sends argv and returns the reply (owned by the caller), nullptr on I/O errors.
redisReply* command(redisContext* c, std::initializer_list<std::string_view> args) {
  const char* argv[8];
  std::size_t lengths[8];
  int argc = 0;
  for (std::string_view a : args) {
    argv[argc] = a.data();
    lengths[argc] = a.size();
    ++argc;
  }
  return static_cast<redisReply*>(redisCommandArgv(c, argc, argv, lengths));
}

}  // namespace

BareHiredis::BareHiredis(int port) : context_(redisConnect("127.0.0.1", port)) {
  if (context_ == nullptr || context_->err != 0) {
    throw std::runtime_error("bare hiredis: cannot connect");
  }
  redisReply* r = command(context_, {"SCRIPT", "LOAD", lock::scripts::release.text});
  const bool loaded = r != nullptr && r->type == REDIS_REPLY_STRING;
  if (r != nullptr) freeReplyObject(r);
  if (!loaded) throw std::runtime_error("bare hiredis: SCRIPT LOAD failed");
}

BareHiredis::~BareHiredis() { redisFree(context_); }

bool BareHiredis::cycle(const std::string& key) {
  const Token token = fresh_token();
  const std::string_view t(token.data(), token.size());
  redisReply* set = command(context_, {"SET", key, t, "NX", "PX", kTtlMs});
  const bool acquired = set != nullptr && set->type == REDIS_REPLY_STATUS &&
                        std::strcmp(set->str, "OK") == 0;
  if (set != nullptr) freeReplyObject(set);
  if (!acquired) return false;
  redisReply* del = command(context_, {"EVALSHA", lock::scripts::release.sha1, "1", key, t});
  const bool released = del != nullptr && del->type == REDIS_REPLY_INTEGER && del->integer == 1;
  if (del != nullptr) freeReplyObject(del);
  return released;
}

}  // namespace locklab::bench_real
