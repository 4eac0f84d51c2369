// The string and key commands of the Engine, answering as redis-server 7.0
// does (replies and error texts), including its parsing quirks.
#include <fmt/format.h>

#include <cctype>
#include <limits>

#include "locklab/sim/redis/engine.hpp"
#include "redis_number.hpp"
#include "text.hpp"

namespace locklab::sim::redis {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

Reply not_an_integer() { return Reply::error("ERR value is not an integer or out of range"); }
Reply syntax_error() { return Reply::error("ERR syntax error"); }
Reply invalid_expire(std::string_view command) {
  return Reply::error(fmt::format("ERR invalid expire time in '{}' command", command));
}

// SET's options, parsed with the same rules and precedence as Redis 7.0's
// parseExtendedStringArgumentsOrReply.
struct SetOptions {
  bool nx = false, xx = false, get = false, keepttl = false;
  enum class Expire { none, ex, px, exat, pxat } expire = Expire::none;
  std::string expire_arg;
};

SetOptions::Expire expiry_option(std::string_view opt) {
  using E = SetOptions::Expire;
  if (is(opt, "ex")) return E::ex;
  if (is(opt, "px")) return E::px;
  if (is(opt, "exat")) return E::exat;
  if (is(opt, "pxat")) return E::pxat;
  return E::none;
}

std::optional<SetOptions> parse_set_options(const Argv& argv) {
  SetOptions o;
  using E = SetOptions::Expire;
  for (std::size_t j = 3; j < argv.size(); ++j) {
    const std::string& opt = argv[j];
    const E expiry = expiry_option(opt);
    if (is(opt, "nx") && !o.xx) {
      o.nx = true;
    } else if (is(opt, "xx") && !o.nx) {
      o.xx = true;
    } else if (is(opt, "get")) {
      o.get = true;
    } else if (is(opt, "keepttl") && o.expire == E::none) {
      o.keepttl = true;
    } else if (expiry != E::none && !o.keepttl && (o.expire == E::none || o.expire == expiry) &&
               j + 1 < argv.size()) {
      // The same expiry option may repeat (the last value wins); mixing two
      // kinds, or with KEEPTTL, is a syntax error, as in Redis.
      o.expire = expiry;
      o.expire_arg = argv[++j];
    } else {
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace

// A new key's entry at `hint`, in the spare node if there is one (its
// value is overwritten by the caller; its expiry is cleared here).
Engine::Entry& Engine::insert_new(std::map<std::string, Entry>::iterator hint,
                                  const std::string& key) {
  if (spares_.empty()) return keys_.emplace_hint(hint, key, Entry{})->second;
  auto node = std::move(spares_.back());
  spares_.pop_back();
  node.key() = key;
  node.mapped().expires_at_ms.reset();
  return keys_.insert(hint, std::move(node))->second;
}

Reply Engine::cmd_set(const Argv& argv, std::int64_t now_ms) {
  std::optional<SetOptions> options = parse_set_options(argv);
  if (!options) return syntax_error();
  const SetOptions& o = *options;
  using E = SetOptions::Expire;

  std::optional<std::int64_t> expires_at;
  if (o.expire != E::none) {
    std::optional<std::int64_t> n = parse_redis_int(o.expire_arg);
    if (!n) return not_an_integer();
    std::int64_t ms = *n;
    const bool seconds = o.expire == E::ex || o.expire == E::exat;
    if (ms <= 0 || (seconds && ms > kInt64Max / 1000)) return invalid_expire("set");
    if (seconds) ms *= 1000;
    if (o.expire == E::ex || o.expire == E::px) {
      // Redis checks ms > LLONG_MAX - now; a simulated clock stepped back
      // before zero makes now negative, where that test itself overflows.
      // The same answer for every now >= 0, and defined for the rest.
      if (__builtin_add_overflow(ms, now_ms, &ms)) return invalid_expire("set");
    }
    expires_at = ms;
  }

  const std::string& key = argv[1];
  const Located found = locate(key, now_ms);
  Entry* existing = found.live ? &found.slot->second : nullptr;
  Reply previous = o.get && existing != nullptr ? Reply::bulk(existing->value) : Reply::nil();
  if ((o.nx && existing != nullptr) || (o.xx && existing == nullptr)) {
    return o.get ? previous : Reply::nil();
  }
  std::optional<std::int64_t> kept_ttl =
      (o.keepttl && existing != nullptr) ? existing->expires_at_ms : std::nullopt;
  // A replica's expired key is still in place (found.slot is it): overwritten.
  const bool present = found.slot != keys_.end() && found.slot->first == key;
  Entry& entry = present ? found.slot->second : insert_new(found.slot, key);
  entry.value = argv[2];
  entry.expires_at_ms = expires_at ? expires_at : kept_ttl;
  if (entry.expires_at_ms) {
    emit({"SET", key, entry.value, "PXAT"}, *entry.expires_at_ms);
  } else {
    emit({"SET", key, entry.value});
  }
  return o.get ? previous : Reply::ok();
}

Reply Engine::cmd_setnx(const Argv& argv, std::int64_t now_ms) {
  if (find_live(argv[1], now_ms) != nullptr) return Reply::integer_reply(0);
  keys_[argv[1]] = Entry{argv[2], std::nullopt};
  emit({"SET", argv[1], argv[2]});
  return Reply::integer_reply(1);
}

Reply Engine::cmd_get(const Argv& argv, std::int64_t now_ms) {
  const Entry* entry = find_live(argv[1], now_ms);
  return entry != nullptr ? Reply::bulk(entry->value) : Reply::nil();
}

Reply Engine::cmd_del(const Argv& argv, std::int64_t now_ms) {
  std::int64_t deleted = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const Located found = locate(argv[i], now_ms);
    if (!found.live) continue;
    if (spares_.size() < kSpareNodes) {
      spares_.push_back(keys_.extract(found.slot));
    } else {
      keys_.erase(found.slot);
    }
    emit({"DEL", argv[i]});
    ++deleted;
  }
  return Reply::integer_reply(deleted);
}

Reply Engine::cmd_exists(const Argv& argv, std::int64_t now_ms) {
  std::int64_t count = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (find_live(argv[i], now_ms) != nullptr) ++count;
  }
  return Reply::integer_reply(count);
}

// EXPIRE / PEXPIRE key time [NX|XX|GT|LT], as Redis 7.0's expireGenericCommand.
Reply Engine::cmd_expire(const Argv& argv, std::int64_t now_ms, std::int64_t unit_ms) {
  const std::string_view command = unit_ms == 1000 ? "expire" : "pexpire";
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t j = 3; j < argv.size(); ++j) {
    if (is(argv[j], "nx")) {
      nx = true;
    } else if (is(argv[j], "xx")) {
      xx = true;
    } else if (is(argv[j], "gt")) {
      gt = true;
    } else if (is(argv[j], "lt")) {
      lt = true;
    } else {
      return Reply::error(fmt::format("ERR Unsupported option {}", argv[j]));
    }
  }
  if ((nx && xx) || (nx && gt) || (nx && lt)) {
    return Reply::error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return Reply::error("ERR GT and LT options at the same time are not compatible");

  std::optional<std::int64_t> n = parse_redis_int(argv[2]);
  if (!n) return not_an_integer();
  std::int64_t when = *n;
  if (unit_ms == 1000) {
    if (when > kInt64Max / 1000 || when < kInt64Min / 1000) return invalid_expire(command);
    when *= 1000;
  }
  // As SET's: Redis's when > LLONG_MAX - now, defined for a negative now too.
  if (__builtin_add_overflow(when, now_ms, &when)) return invalid_expire(command);

  const std::string& key = argv[1];
  Entry* entry = find_live(key, now_ms);
  if (entry == nullptr) return Reply::integer_reply(0);
  const std::int64_t current = entry->expires_at_ms.value_or(-1);
  if (nx && current != -1) return Reply::integer_reply(0);
  if (xx && current == -1) return Reply::integer_reply(0);
  if (gt && (when <= current || current == -1)) return Reply::integer_reply(0);
  if (lt && current != -1 && when >= current) return Reply::integer_reply(0);

  return set_expiry(key, *entry, when, now_ms);
}

// A time already past deletes the key (propagated as DEL), except on a
// replica, which waits for its master's DEL, and while the AOF loads;
// otherwise PEXPIREAT is
// propagated. Either way the reply is 1, as Redis answers. "Already past"
// includes `when == now`, as in Redis's checkAlreadyExpired (expire.c),
// although a key already holding that time would live through it.
Reply Engine::set_expiry(const std::string& key, Entry& entry, std::int64_t when,
                         std::int64_t now_ms) {
  if (when <= now_ms && !replica_ && !replaying_persisted_) {
    keys_.erase(key);
    emit({"DEL", key});
    return Reply::integer_reply(1);
  }
  entry.expires_at_ms = when;
  emit({"PEXPIREAT", key}, when);
  return Reply::integer_reply(1);
}

// PEXPIREAT key ms-unix-time: what the AOF and replication stream carry.
Reply Engine::cmd_pexpireat(const Argv& argv, std::int64_t now_ms) {
  std::optional<std::int64_t> when = parse_redis_int(argv[2]);
  if (!when) return not_an_integer();
  Entry* entry = find_live(argv[1], now_ms);
  if (entry == nullptr) return Reply::integer_reply(0);
  return set_expiry(argv[1], *entry, *when, now_ms);
}

Reply Engine::cmd_ttl(const Argv& argv, std::int64_t now_ms, std::int64_t unit_ms) {
  const Entry* entry = find_live(argv[1], now_ms);
  if (entry == nullptr) return Reply::integer_reply(-2);
  if (!entry->expires_at_ms) return Reply::integer_reply(-1);
  std::int64_t ttl = std::max<std::int64_t>(*entry->expires_at_ms - now_ms, 0);
  return Reply::integer_reply(unit_ms == 1 ? ttl : (ttl + 500) / 1000);
}

Reply Engine::cmd_incr(const Argv& argv, std::int64_t now_ms) {
  Entry* entry = find_live(argv[1], now_ms);
  std::int64_t value = 0;
  if (entry != nullptr) {
    std::optional<std::int64_t> current = parse_redis_int(entry->value);
    if (!current) return not_an_integer();
    value = *current;
  }
  if (value == kInt64Max) return Reply::error("ERR increment or decrement would overflow");
  ++value;
  Entry& stored = keys_[argv[1]];  // keeps its TTL, as INCR does
  stored.value = std::to_string(value);
  emit({"SET", argv[1], stored.value, "KEEPTTL"});
  return Reply::integer_reply(value);
}

}  // namespace locklab::sim::redis
