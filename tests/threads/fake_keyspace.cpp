#include "fake_keyspace.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "locklab/lock/scripts.hpp"

namespace locklab::testing {
namespace {

using lock::Reply;
using Args = lock::Command;
using clock = FakeKeyspace::clock;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

Reply wrong_arity(std::string_view name) {
  return Reply::error("ERR wrong number of arguments for '" + lower(name) + "' command");
}
Reply not_integer() { return Reply::error("ERR value is not an integer or out of range"); }
Reply syntax_error() { return Reply::error("ERR syntax error"); }
Reply invalid_expire(std::string_view name) {
  return Reply::error("ERR invalid expire time in '" + lower(name) + "' command");
}

// now + ms, or nullopt when it would overflow the clock's nanoseconds (Redis
// refuses an overflowing expire time the same way, at its own limit).
std::optional<clock::time_point> expiry_after(clock::time_point now, std::int64_t ms) {
  const std::int64_t room_ns = clock::time_point::max().time_since_epoch().count() -
                               now.time_since_epoch().count();
  if (ms > room_ns / 1'000'000) return std::nullopt;
  return now + std::chrono::milliseconds(ms);
}

// The script a digest or a text names; nullptr when it is none of locklab's.
const lock::Script* known_script(std::string_view digest_or_text, bool by_digest) {
  static constexpr const lock::Script* kAll[] = {&lock::scripts::release, &lock::scripts::extend,
                                                 &lock::scripts::fenced_acquire,
                                                 &lock::scripts::raise_counter};
  for (const lock::Script* s : kAll) {
    if ((by_digest ? s->sha1 : s->text) == digest_or_text) return s;
  }
  return nullptr;
}

// An error raised by redis.call inside a script, as Redis reports it.
Reply script_error(std::string_view digest, std::string_view what) {
  return Reply::error("ERR Error running script (call to f_" + std::string(digest) +
                      "): @user_script:1: " + std::string(what));
}

}  // namespace

FakeKeyspace::Entry* FakeKeyspace::find(std::string_view key, clock::time_point now) {
  const auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  if (it->second.expires && now >= *it->second.expires) {
    keys_.erase(it);
    return nullptr;
  }
  return &it->second;
}

std::optional<std::string> FakeKeyspace::get(std::string_view key, clock::time_point now) const {
  const auto it = keys_.find(key);
  if (it == keys_.end() || (it->second.expires && now >= *it->second.expires)) {
    return std::nullopt;
  }
  return it->second.value;
}

Reply FakeKeyspace::execute(const lock::Command& command, clock::time_point now) {
  if (command.empty()) return Reply::error("ERR empty command");
  const std::string name = lower(command[0]);
  if (name == "ping") {
    if (command.size() == 1) return Reply::status("PONG");
    if (command.size() == 2) return Reply::bulk(std::string(command[1]));
    return wrong_arity(command[0]);
  }
  if (name == "set") return set(command, now);
  if (name == "get") return get_command(command, now);
  if (name == "del") return del(command, now);
  if (name == "pexpire") return pexpire(command, now);
  if (name == "pttl") return pttl(command, now);
  if (name == "incr") return incr(command, now);
  if (name == "eval") return eval(command, false, now);
  if (name == "evalsha") return eval(command, true, now);
  if (name == "script") return script(command);
  std::string text = "ERR unknown command '" + std::string(command[0]) +
                     "', with args beginning with: ";
  for (std::size_t i = 1; i < command.size(); ++i) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on "'" + string.
    text.append(1, '\'').append(command[i]).append("' ");
  }
  return Reply::error(std::move(text));
}

Reply FakeKeyspace::set(const Args& args, clock::time_point now) {
  if (args.size() < 3) return wrong_arity(args[0]);
  bool nx = false;
  bool xx = false;
  std::optional<std::int64_t> ttl_ms;
  for (std::size_t i = 3; i < args.size(); ++i) {
    const std::string option = lower(args[i]);
    if (option == "nx" && !xx) {
      nx = true;
    } else if (option == "xx" && !nx) {
      xx = true;
    } else if ((option == "px" || option == "ex") && !ttl_ms && i + 1 < args.size()) {
      const std::optional<std::int64_t> n = parse_int(args[++i]);
      if (!n) return not_integer();
      if (*n <= 0) return invalid_expire(args[0]);
      if (option == "ex" && *n > std::numeric_limits<std::int64_t>::max() / 1000) {
        return invalid_expire(args[0]);
      }
      ttl_ms = option == "ex" ? *n * 1000 : *n;
    } else {
      return syntax_error();
    }
  }
  std::optional<clock::time_point> expires;
  if (ttl_ms) {
    expires = expiry_after(now, *ttl_ms);
    if (!expires) return invalid_expire(args[0]);
  }
  const bool present = find(args[1], now) != nullptr;
  if ((nx && present) || (xx && !present)) return Reply::nil();
  keys_.insert_or_assign(std::string(args[1]), Entry{std::string(args[2]), expires});
  return Reply::ok();
}

Reply FakeKeyspace::get_command(const Args& args, clock::time_point now) {
  if (args.size() != 2) return wrong_arity(args[0]);
  const Entry* e = find(args[1], now);
  return e ? Reply::bulk(e->value) : Reply::nil();
}

Reply FakeKeyspace::del(const Args& args, clock::time_point now) {
  if (args.size() < 2) return wrong_arity(args[0]);
  std::int64_t deleted = 0;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (find(args[i], now) == nullptr) continue;
    keys_.erase(keys_.find(args[i]));
    ++deleted;
  }
  return Reply::integer_reply(deleted);
}

Reply FakeKeyspace::pexpire(const Args& args, clock::time_point now) {
  if (args.size() != 3) return wrong_arity(args[0]);
  const std::optional<std::int64_t> ms = parse_int(args[2]);
  if (!ms) return not_integer();
  Entry* e = find(args[1], now);
  if (e == nullptr) return Reply::integer_reply(0);
  if (*ms <= 0) {  // Redis deletes a key given an expiry in the past
    keys_.erase(keys_.find(args[1]));
    return Reply::integer_reply(1);
  }
  const std::optional<clock::time_point> when = expiry_after(now, *ms);
  if (!when) return invalid_expire(args[0]);
  e->expires = when;
  return Reply::integer_reply(1);
}

Reply FakeKeyspace::pttl(const Args& args, clock::time_point now) {
  if (args.size() != 2) return wrong_arity(args[0]);
  const Entry* e = find(args[1], now);
  if (e == nullptr) return Reply::integer_reply(-2);
  if (!e->expires) return Reply::integer_reply(-1);
  return Reply::integer_reply(
      std::chrono::duration_cast<std::chrono::milliseconds>(*e->expires - now).count());
}

Reply FakeKeyspace::incr(const Args& args, clock::time_point now) {
  if (args.size() != 2) return wrong_arity(args[0]);
  Entry* e = find(args[1], now);
  if (e == nullptr) {
    keys_.insert_or_assign(std::string(args[1]), Entry{"1", std::nullopt});
    return Reply::integer_reply(1);
  }
  const std::optional<std::int64_t> v = parse_int(e->value);
  if (!v) return not_integer();
  if (*v == std::numeric_limits<std::int64_t>::max()) {
    return Reply::error("ERR increment or decrement would overflow");
  }
  e->value = std::to_string(*v + 1);  // the expiry stays, as in Redis
  return Reply::integer_reply(*v + 1);
}

Reply FakeKeyspace::eval(const Args& args, bool by_digest, clock::time_point now) {
  if (args.size() < 3) return wrong_arity(args[0]);
  const std::optional<std::int64_t> numkeys = parse_int(args[2]);
  if (!numkeys) return not_integer();
  if (*numkeys < 0) return Reply::error("ERR Number of keys can't be negative");
  const auto key_count = static_cast<std::size_t>(*numkeys);
  if (key_count > args.size() - 3) {
    return Reply::error("ERR Number of keys can't be greater than number of args");
  }
  std::string digest;
  if (by_digest) {
    digest = lower(args[1]);
    if (!scripts_.contains(digest)) {
      return Reply::error("NOSCRIPT No matching script. Please use EVAL.");
    }
  } else {
    const lock::Script* s = known_script(args[1], false);
    if (s == nullptr) {
      return Reply::error("ERR the fake Redis runs only locklab's lock scripts (lock/scripts.hpp)");
    }
    digest = s->sha1;
    scripts_.insert(digest);
  }
  const auto first_arg = args.begin() + 3 + static_cast<std::ptrdiff_t>(key_count);
  const Args keys(args.begin() + 3, first_arg);
  const Args argv(first_arg, args.end());
  return run_script(digest, keys, argv, now);
}

Reply FakeKeyspace::script(const Args& args) {
  if (args.size() < 2) return wrong_arity(args[0]);
  const std::string sub = lower(args[1]);
  if (sub == "flush" && args.size() <= 3) {
    flush_scripts();
    return Reply::ok();
  }
  if (sub == "load" && args.size() == 3) {
    const lock::Script* s = known_script(args[2], false);
    if (s == nullptr) {
      return Reply::error("ERR the fake Redis runs only locklab's lock scripts (lock/scripts.hpp)");
    }
    scripts_.insert(std::string(s->sha1));
    return Reply::bulk(std::string(s->sha1));
  }
  if (sub == "exists" && args.size() >= 3) {
    std::vector<Reply> found;
    for (std::size_t i = 2; i < args.size(); ++i) {
      found.push_back(Reply::integer_reply(scripts_.contains(lower(args[i])) ? 1 : 0));
    }
    return Reply::array(std::move(found));
  }
  return Reply::error("ERR unknown subcommand or wrong number of arguments for 'script|" + sub +
                      "'");
}

// The four scripts, natively: each line mirrors the Lua in lock/scripts.hpp.
Reply FakeKeyspace::run_script(std::string_view digest, const Args& keys, const Args& argv,
                               clock::time_point now) {
  const auto call = [&](lock::Command c) { return execute(c, now); };
  const auto arity = [&](std::size_t k, std::size_t a) {
    return keys.size() >= k && argv.size() >= a;
  };
  const auto missing = [&] {
    return script_error(digest, "Lua redis lib command arguments must be strings or integers");
  };
  if (digest == lock::scripts::release.sha1) {
    if (!arity(1, 1)) return missing();
    const Reply held = call({"GET", keys[0]});
    if (held.type == lock::ReplyType::bulk && held.str == argv[0]) return call({"DEL", keys[0]});
    return Reply::integer_reply(0);
  }
  if (digest == lock::scripts::extend.sha1) {
    if (!arity(1, 2)) return missing();
    const Reply held = call({"GET", keys[0]});
    if (held.type != lock::ReplyType::bulk || held.str != argv[0]) return Reply::integer_reply(0);
    Reply renewed = call({"PEXPIRE", keys[0], argv[1]});
    return renewed.is_error() ? script_error(digest, renewed.str) : renewed;
  }
  if (digest == lock::scripts::fenced_acquire.sha1) {
    if (!arity(2, 2)) return missing();
    const Reply set = call({"SET", keys[0], argv[0], "NX", "PX", argv[1]});
    if (set.is_error()) return script_error(digest, set.str);
    if (!set.is_ok()) return Reply::nil();  // Lua false → nil reply
    Reply counter = call({"INCR", keys[1]});  // the SET stays even if this fails
    return counter.is_error() ? script_error(digest, counter.str) : counter;
  }
  if (digest == lock::scripts::raise_counter.sha1) {
    if (!arity(1, 1)) return missing();
    const Reply current = call({"GET", keys[0]});
    const std::optional<std::int64_t> c =
        current.is_nil() ? std::optional<std::int64_t>(0) : parse_int(current.str);
    const std::optional<std::int64_t> wanted = parse_int(argv[0]);
    // tonumber() of a non-number is nil in Lua, and comparing nil raises.
    if (!c || !wanted) return script_error(digest, "attempt to compare nil with number");
    if (*c < *wanted) {
      const Reply set = call({"SET", keys[0], argv[0]});
      if (set.is_error()) return script_error(digest, set.str);
      return Reply::integer_reply(*wanted);
    }
    return Reply::integer_reply(*c);
  }
  // Only the four scripts are ever loaded, so this is unreachable.
  return script_error(digest, "unknown script");
}

}  // namespace locklab::testing
