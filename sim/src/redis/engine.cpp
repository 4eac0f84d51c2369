// The Engine's command table, dispatch, keyspace access and expiry. The
// commands themselves are in engine_commands.cpp.
#include "locklab/sim/redis/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "locklab/sim/redis/commands.hpp"
#include "locklab/sim/redis/scripting.hpp"
#include "text.hpp"

namespace locklab::sim::redis {

namespace {

enum class Command : std::uint8_t {
  ping, set, setnx, get, del, exists, expire, pexpire, pexpireat, pttl, ttl, incr, eval,
  evalsha, script,
};

struct CommandSpec {
  std::string_view name;  // a view: no strlen per comparison
  Command command;
  int arity;  // as Redis: n exactly, -n at least n
  bool allowed_in_scripts;
  bool write;
};

using C = Command;
constexpr CommandSpec kCommands[] = {
    {"ping", C::ping, -1, true, false},         {"set", C::set, -3, true, true},
    {"setnx", C::setnx, 3, true, true},         {"get", C::get, 2, true, false},
    {"del", C::del, -2, true, true},            {"exists", C::exists, -2, true, false},
    {"expire", C::expire, -3, true, true},      {"pexpire", C::pexpire, -3, true, true},
    {"pexpireat", C::pexpireat, -3, true, true}, {"pttl", C::pttl, 2, true, false},
    {"ttl", C::ttl, 2, true, false},            {"incr", C::incr, 2, true, true},
    {"eval", C::eval, -3, false, false},        {"evalsha", C::evalsha, -3, false, false},
    {"script", C::script, -2, false, false},
};

// The table and the list others read (commands.hpp) name the same commands.
consteval bool table_matches_the_list() {
  if (std::size(kCommands) != std::size(kEngineCommands)) return false;
  for (std::size_t i = 0; i < std::size(kCommands); ++i) {
    if (kCommands[i].name != kEngineCommands[i]) return false;
  }
  return true;
}
static_assert(table_matches_the_list(), "engine.cpp's command table and commands.hpp's kEngineCommands differ");

// Compares in place, in any case: no lower-cased copy of the name.
const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& spec : kCommands) {
    if (is(name, spec.name)) return &spec;
  }
  return nullptr;
}

bool arity_ok(const CommandSpec& spec, std::size_t argc) {
  const auto n = static_cast<std::size_t>(spec.arity < 0 ? -spec.arity : spec.arity);
  return spec.arity < 0 ? argc >= n : argc == n;
}

// redis-server 7.0: "unknown command 'x', with args beginning with: 'a' 'b' ".
std::string unknown_command(const Argv& argv) {
  std::string args;
  for (std::size_t i = 1; i < argv.size() && args.size() < 128; ++i) {
    const std::size_t room = 128 - args.size();
    args += fmt::format("'{}' ", std::string_view(argv[i]).substr(0, room));
  }
  std::string text = fmt::format("ERR unknown command '{}', with args beginning with: {}",
                                 std::string_view(argv[0]).substr(0, 128), args);
  // Redis replaces newlines in error texts so the protocol stays intact.
  for (char& c : text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return text;
}

// What Redis 7.0's processCommand finds wrong with a SCRIPT subcommand before
// it runs it (or refuses it while loading): an unknown subcommand, or the
// wrong arity for it (script|load 3, script|exists -3, script|flush -2 in
// src/commands/script-*.json).
std::optional<Reply> script_lookup_error(const Argv& argv) {
  const std::string& sub = argv[1];
  if (is(sub, "load")) {
    if (argv.size() != 3) return Reply::error("ERR wrong number of arguments for 'script|load' command");
    return std::nullopt;
  }
  if (is(sub, "exists")) {
    if (argv.size() < 3) return Reply::error("ERR wrong number of arguments for 'script|exists' command");
    return std::nullopt;
  }
  if (is(sub, "flush")) return std::nullopt;
  return Reply::error(fmt::format("ERR unknown subcommand '{}'. Try SCRIPT HELP.",
                                  std::string_view(argv[1]).substr(0, 128)));
}

}  // namespace

Engine::Engine()
    : scripts_(std::make_unique<ScriptEngine>(
          [this](const Argv& argv) { return dispatch(argv, script_now_ms_, true); })) {}

Engine::~Engine() = default;

void Engine::flush_scripts() { scripts_->flush(); }

Reply Engine::execute(const Argv& argv, std::int64_t now_ms) {
  return dispatch(argv, now_ms, false);
}

Reply Engine::apply_replicated(const Argv& argv, std::int64_t now_ms) {
  applying_replicated_ = true;
  Reply reply = dispatch(argv, now_ms, false);
  applying_replicated_ = false;
  return reply;
}

Reply Engine::replay_persisted(const Argv& argv, std::int64_t now_ms) {
  replaying_persisted_ = true;
  Reply reply = apply_replicated(argv, now_ms);
  replaying_persisted_ = false;
  return reply;
}

Reply Engine::dispatch(const Argv& argv, std::int64_t now_ms, bool from_script) {
  if (argv.empty()) return Reply::error("ERR empty command");
  const CommandSpec* spec = find_command(argv[0]);
  if (spec == nullptr) {
    return from_script ? Reply::error("ERR Unknown Redis command called from script")
                       : Reply::error(unknown_command(argv));
  }
  // Redis checks the arity before whether a script may call the command.
  if (!arity_ok(*spec, argv.size())) {
    return from_script
               ? Reply::error("ERR Wrong number of args calling Redis command from script")
               : Reply::error(
                     fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
  }
  if (from_script && !spec->allowed_in_scripts) {
    return Reply::error("ERR This Redis command is not allowed from script");
  }
  if (spec->write && replica_ && !applying_replicated_) {
    return Reply::error("READONLY You can't write against a read only replica.");
  }
  if (loading_ && !applying_replicated_) {
    // SCRIPT's subcommand is looked up, and its arity checked, before this.
    if (spec->command == C::script) {
      if (std::optional<Reply> refused = script_lookup_error(argv)) return *refused;
    }
    return Reply::error(std::string(kLoadingError));
  }
  switch (spec->command) {
    case C::ping:
      if (argv.size() > 2) return Reply::error("ERR wrong number of arguments for 'ping' command");
      return argv.size() == 2 ? Reply::bulk(argv[1]) : Reply::status("PONG");
    case C::set: return cmd_set(argv, now_ms);
    case C::setnx: return cmd_setnx(argv, now_ms);
    case C::get: return cmd_get(argv, now_ms);
    case C::del: return cmd_del(argv, now_ms);
    case C::exists: return cmd_exists(argv, now_ms);
    case C::expire: return cmd_expire(argv, now_ms, 1000);
    case C::pexpire: return cmd_expire(argv, now_ms, 1);
    case C::pexpireat: return cmd_pexpireat(argv, now_ms);
    case C::pttl: return cmd_ttl(argv, now_ms, 1);
    case C::ttl: return cmd_ttl(argv, now_ms, 1000);
    case C::incr: return cmd_incr(argv, now_ms);
    case C::script: return cmd_script(argv);
    case C::eval: return cmd_eval(argv, now_ms, false);
    case C::evalsha: return cmd_eval(argv, now_ms, true);
  }
  return Reply::error("ERR unreachable command");
}

Engine::Entry* Engine::find_live(const std::string& key, std::int64_t now_ms) {
  const Located found = locate(key, now_ms);
  return found.live ? &found.slot->second : nullptr;
}

Engine::Located Engine::locate(const std::string& key, std::int64_t now_ms) {
  auto it = keys_.lower_bound(key);
  if (it == keys_.end() || it->first != key) return {it, false};
  if (it->second.expired_at(now_ms) && !replaying_persisted_) {
    // Lazy expiry: the key is gone on first touch after its time, and the
    // deletion is propagated like any write (as Redis propagates a DEL).
    // A replica keeps it (it waits for the master's DEL) but reads it as gone.
    if (!replica_) {
      it = keys_.erase(it);
      emit({"DEL", key});
    }
    return {it, false};
  }
  return {it, true};
}

void Engine::emit(std::initializer_list<std::string_view> command,
                  std::optional<std::int64_t> last_number) {
  if (write_observer_) write_observer_(Write({command.begin(), command.size()}, last_number));
}

std::size_t Engine::active_expire_cycle(std::int64_t now_ms) {
  if (replica_) return 0;  // replicas wait for the master's DEL
  std::vector<std::string> expired;
  for (const auto& [key, entry] : keys_) {
    if (entry.expired_at(now_ms)) expired.push_back(key);
  }
  for (const std::string& key : expired) {
    keys_.erase(key);
    emit({"DEL", key});
  }
  return expired.size();
}

Reply Engine::cmd_script(const Argv& argv) {
  if (std::optional<Reply> refused = script_lookup_error(argv)) return *refused;
  const std::string sub = lower(argv[1]);
  if (sub == "load") return scripts_->load(argv[2]);
  if (sub == "exists") {
    std::vector<Reply> found;
    for (std::size_t i = 2; i < argv.size(); ++i) {
      found.push_back(Reply::integer_reply(scripts_->exists(argv[i]) ? 1 : 0));
    }
    return Reply::array(std::move(found));
  }
  if (sub == "flush") {
    if (argv.size() > 3 || (argv.size() == 3 && lower(argv[2]) != "sync" && lower(argv[2]) != "async")) {
      return Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    scripts_->flush();
    return Reply::ok();
  }
  return Reply::error("ERR unreachable subcommand");
}

Reply Engine::cmd_eval(const Argv& argv, std::int64_t now_ms, bool by_sha) {
  // Time stands still while a script runs, as in Redis 7.
  script_now_ms_ = now_ms;
  return by_sha ? scripts_->evalsha(argv) : scripts_->eval(argv);
}

}  // namespace locklab::sim::redis
