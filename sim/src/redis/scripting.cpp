// ScriptEngine: EVAL, EVALSHA and the script cache on an embedded Lua 5.1,
// with the redis.* library and script errors shaped as redis-server 7.0
// shapes them. The sandbox (globals, libraries) is in lua_sandbox.cpp, the
// conversions between Lua values and replies in lua_convert.cpp.
//
// How a run goes: the body is compiled once per SHA1 into a function kept in
// the registry (as Redis keeps f_<sha1>); each run sets KEYS and ARGV, then
// calls the function under lua_pcall with a message handler that records
// where the error happened, and converts the returned value (or the error)
// into the reply.
//
// Lua raises errors with longjmp, which skips C++ destructors. The C
// functions scripts call therefore do their C++ work (building the command,
// running it, converting its reply) in helpers that return before anything is
// raised, and C++ exceptions from the command callback are caught, carried
// past Lua, and rethrown to eval's caller once the script has stopped.
#include "locklab/sim/redis/scripting.hpp"

#include <boost/uuid/detail/sha1.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <expected>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scripting_internal.hpp"
#include "text.hpp"

namespace locklab::sim::redis {

namespace {

using lua::pop;
using lua::push;
using lua::push_error_table;
using lua::raw_get_field;
using lua::raw_set_field;
using lua::view;

constexpr const char* kScriptsKey = "locklab.scripts";  // registry: sha1 -> compiled function
constexpr const char* kChunkName = "@user_script";      // how Redis names every script
constexpr const char* kVersion = "7.0.15";              // the redis-server we match
constexpr int kVersionNum = 0x07000f;

// What the redis.* functions work with while a script runs.
struct CallContext {
  const ScriptEngine::CommandCall* call = nullptr;
  bool resp3 = false;             // after redis.setresp(3)
  std::exception_ptr failure;     // thrown by the command callback, rethrown after the run
  std::uintptr_t stack_limit = 0;  // the lowest C stack address the run may reach (0: no run)
  Argv* scratch = nullptr;         // reused for each redis.call's command (no allocation)
};

// How much C stack a run may use. Lua lets calls through C (pcall, metamethods,
// coroutines, sort comparators...) nest 200 deep, which takes more than the
// simulator's 128 KiB fiber stacks; past this budget a script gets Lua's own
// "C stack overflow" error instead. Redis (on an 8 MiB stack) lets the same
// scripts nest further; only pathological ones notice.
constexpr std::uintptr_t kStackBudget = 64 * 1024;

std::uintptr_t stack_address() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

// Lua's allocator (realloc and free, as luaL_newstate's), carrying the call
// context as its user data where the call hook finds it cheaply.
void* allocate(void*, void* block, std::size_t, std::size_t size) {
  if (size == 0) {
    std::free(block);
    return nullptr;
  }
  return std::realloc(block, size);
}

// Runs on every call a script makes: stops it before it exhausts the C stack
// (which grows down on every platform we build for).
void guard_stack(lua_State* L, lua_Debug*) {
  void* data = nullptr;
  lua_getallocf(L, &data);
  const auto* ctx = static_cast<const CallContext*>(data);
  if (stack_address() < ctx->stack_limit) luaL_error(L, "C stack overflow");
}

// An error outside any protected call: a bug here, not in a script.
int panic(lua_State* L) {
  std::fprintf(stderr, "locklab: unprotected Lua error: %s\n", lua_tolstring(L, -1, nullptr));
  std::abort();
}

CallContext& context(lua_State* L) {
  return *static_cast<CallContext*>(lua_touserdata(L, lua::upvalue_index(1)));
}

// Raises {err=text}, as Redis raises the errors of its own library.
[[noreturn]] void raise_error_table(lua_State* L, const char* text) {
  push_error_table(L, text);
  lua_error(L);
  __builtin_unreachable();
}

void sha1_into(std::string_view text, char (&hex)[40]) {
  boost::uuids::detail::sha1 hash;
  hash.process_bytes(text.data(), text.size());
  unsigned int digest[5];
  hash.get_digest(digest);
  constexpr char kDigits[] = "0123456789abcdef";
  for (int word = 0; word < 5; ++word) {
    for (int nibble = 0; nibble < 8; ++nibble) {
      hex[word * 8 + nibble] = kDigits[(digest[word] >> (28 - 4 * nibble)) & 0xF];
    }
  }
}

// ---- redis.* -------------------------------------------------------------------

// The C++ half of redis.call and redis.pcall: turns the Lua arguments into a
// command, runs it, and pushes its reply as the script sees it, or an error
// table for a call Redis refuses. Returns true if what it pushed is an error.
// It raises no Lua error, so its caller may raise one after it has returned
// and its C++ objects are gone.
bool run_command(lua_State* L, CallContext& ctx) noexcept {
  const int argc = lua_gettop(L);
  if (ctx.failure) {  // an earlier command failed in C++: the script is being stopped
    push_error_table(L, "ERR the simulator failed running a command from this script");
    return true;
  }
  if (argc == 0) {
    push_error_table(L, "ERR Please specify at least one argument for this redis lib call");
    return true;
  }
  try {
    // Commands from scripts do not nest (EVAL is refused inside a script), so
    // one buffer serves them all; its strings keep their capacity.
    Argv& argv = *ctx.scratch;
    argv.resize(static_cast<std::size_t>(argc));
    for (int i = 1; i <= argc; ++i) {
      const int type = lua_type(L, i);
      if (type == LUA_TSTRING) {
        argv[static_cast<std::size_t>(i - 1)].assign(view(L, i));
      } else if (type == LUA_TNUMBER) {
        argv[static_cast<std::size_t>(i - 1)] = lua::format_number(lua_tonumber(L, i));
      } else {
        push_error_table(L, "ERR Lua redis lib command arguments must be strings or integers");
        return true;
      }
    }
    const Reply reply = (*ctx.call)(argv);
    lua::push_reply(L, reply, ctx.resp3);
    return reply.is_error();
  } catch (...) {
    ctx.failure = std::current_exception();
    push_error_table(L, "ERR the simulator failed running a command from this script");
    return true;
  }
}

// redis.call: an error reply stops the script (unless it is caught).
int redis_call(lua_State* L) {
  if (run_command(L, context(L))) return lua_error(L);
  return 1;
}

// redis.pcall: an error reply is returned as {err=...}.
int redis_pcall(lua_State* L) {
  CallContext& ctx = context(L);
  run_command(L, ctx);
  if (ctx.failure) return lua_error(L);  // a failure of the simulator is not the script's to catch
  return 1;
}

// Pushes {err=...} for redis.error_reply(text): "-" is implied, and the
// first word is the error code (ERR if there is only one word).
void push_error_reply(lua_State* L, std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  push_error_table(L, lua::shape_error(text));
}

int redis_error_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    push_error_table(L, "ERR wrong number or type of arguments");
    return 1;
  }
  push_error_reply(L, view(L, 1));
  return 1;
}

int redis_status_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    push_error_table(L, "ERR wrong number or type of arguments");
    return 1;
  }
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, 1);
  raw_set_field(L, -2, "ok");
  return 1;
}

int redis_sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) raise_error_table(L, "ERR wrong number of arguments");
  char hex[40];
  sha1_into(view(L, 1), hex);  // anything but a string or a number hashes as ""
  lua_pushlstring(L, hex, sizeof hex);
  return 1;
}

// Redis truncates numeric arguments to int: true if `value` truncates into [low, high].
bool truncates_into(double value, int low, int high) { return value > low - 1 && value < high + 1; }

// redis.log(level, message...): checked as Redis checks it; the simulator
// keeps no server log, so nothing is written.
int redis_log(lua_State* L) {
  if (lua_gettop(L) < 2) raise_error_table(L, "ERR redis.log() requires two arguments or more.");
  if (lua_isnumber(L, 1) == 0) raise_error_table(L, "ERR First argument must be a number (log level).");
  if (!truncates_into(lua_tonumber(L, 1), 0, 3)) raise_error_table(L, "ERR Invalid debug level.");
  return 0;
}

int redis_setresp(lua_State* L) {
  if (lua_gettop(L) != 1) raise_error_table(L, "ERR redis.setresp() requires one argument.");
  const double version = lua_tonumber(L, 1);
  const bool two = truncates_into(version, 2, 2);
  const bool three = truncates_into(version, 3, 3);
  if (!two && !three) raise_error_table(L, "ERR RESP version must be 2 or 3.");
  context(L).resp3 = three;
  return 0;
}

// redis.set_repl(flags): checked, then ignored (the Engine replicates every
// write a script makes).
int redis_set_repl(lua_State* L) {
  if (lua_gettop(L) != 1) raise_error_table(L, "ERR redis.set_repl() requires two arguments.");
  if (!truncates_into(lua_tonumber(L, 1), 0, 3)) {
    raise_error_table(L,
                      "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;
}

int redis_replicate_commands(lua_State* L) {  // always on in Redis 7
  lua_pushboolean(L, 1);
  return 1;
}

int redis_breakpoint(lua_State* L) {  // no debugger attached
  lua_pushboolean(L, 0);
  return 1;
}

int redis_debug(lua_State*) { return 0; }

void open_redis_library(lua_State* L, CallContext& ctx) {
  struct Function {
    const char* name;
    lua_CFunction function;
  };
  constexpr Function kFunctions[] = {
      {"call", redis_call},
      {"pcall", redis_pcall},
      {"error_reply", redis_error_reply},
      {"status_reply", redis_status_reply},
      {"sha1hex", redis_sha1hex},
      {"log", redis_log},
      {"setresp", redis_setresp},
      {"set_repl", redis_set_repl},
      {"replicate_commands", redis_replicate_commands},
      {"breakpoint", redis_breakpoint},
      {"debug", redis_debug},
  };
  struct Constant {
    const char* name;
    int value;
  };
  constexpr Constant kConstants[] = {
      {"LOG_DEBUG", 0}, {"LOG_VERBOSE", 1},  {"LOG_NOTICE", 2},   {"LOG_WARNING", 3},
      {"REPL_NONE", 0}, {"REPL_AOF", 1},     {"REPL_SLAVE", 2},   {"REPL_REPLICA", 2},
      {"REPL_ALL", 3},  {"REDIS_VERSION_NUM", kVersionNum},
  };
  lua_createtable(L, 0, 24);
  for (const Function& f : kFunctions) {
    lua_pushlightuserdata(L, &ctx);
    lua_pushcclosure(L, f.function, 1);
    raw_set_field(L, -2, f.name);
  }
  for (const Constant& c : kConstants) {
    lua_pushinteger(L, c.value);
    raw_set_field(L, -2, c.name);
  }
  lua_pushstring(L, kVersion);
  raw_set_field(L, -2, "REDIS_VERSION");
  lua_setfield(L, LUA_GLOBALSINDEX, "redis");
}

// ---- errors --------------------------------------------------------------------

constexpr const char* kNotAnErrorText =
    "ERR Error running script: the error object is a table without an 'err' string";

// The message handler of every run (Redis's __redis__err__handler). Returns
// {err=..., source=..., line=...}: err is an error table's err text, or "ERR "
// and the error as a string; source and line locate the Lua code that raised
// it, looking past a C function such as error() or redis.call.
int error_handler(lua_State* L) {
  lua_Debug where;
  bool located = lua_getstack(L, 1, &where) != 0 && lua_getinfo(L, "Sl", &where) != 0;
  if (located && std::strcmp(where.what, "C") == 0) {
    located = lua_getstack(L, 2, &where) != 0 && lua_getinfo(L, "Sl", &where) != 0;
  }
  lua_settop(L, 1);
  lua_createtable(L, 0, 3);
  if (lua::is_table(L, 1)) {
    raw_get_field(L, 1, "err");
    if (lua_isstring(L, -1) == 0) {
      // Redis 7.0.15 crashes here; we answer with an error instead.
      pop(L, 1);
      lua_pushstring(L, kNotAnErrorText);
    }
    lua_tolstring(L, -1, nullptr);  // a number becomes its text
  } else {
    lua_pushstring(L, "ERR ");
    lua::push_tostring(L, 1);
    lua_concat(L, 2);
  }
  raw_set_field(L, 2, "err");
  if (located) {
    lua_pushstring(L, where.source);
    raw_set_field(L, 2, "source");
    lua_pushinteger(L, where.currentline);
    raw_set_field(L, 2, "line");
  }
  return 1;
}

// "<error> script: <sha1>, on @user_script:<line>." from what the handler
// left on top of the stack (or a bare message if Lua failed without it).
Reply script_error(lua_State* L, const std::string& sha) {
  std::string message;
  std::string source = "?";
  std::string line = "?";
  if (lua::is_table(L, -1)) {
    raw_get_field(L, -1, "err");
    message = view(L, -1);
    raw_get_field(L, -2, "source");
    if (lua_type(L, -1) == LUA_TSTRING) source = view(L, -1);
    raw_get_field(L, -3, "line");
    if (lua_type(L, -1) == LUA_TNUMBER) line = std::to_string(lua_tointeger(L, -1));
    pop(L, 3);
  } else {  // out of memory, or an error in the handler itself
    message = "ERR " + std::string(view(L, -1));
  }
  message.resize(std::min(message.size(), message.find('\0')));
  return Reply::error(lua::reply_text(message + " script: " + sha + ", on " + source + ":" + line + "."));
}

// ---- compiling -----------------------------------------------------------------

// Splits a line into words as Redis's sdssplitargs does (quotes, escapes);
// nullopt for unbalanced quotes.
std::optional<std::vector<std::string>> split_args(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  const auto ends_word = [&](std::size_t at) { return at >= line.size() || is_space(line[at]); };
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) return words;
    std::string word;
    char quote = 0;
    for (bool done = false; !done; ++i) {
      if (quote == 0) {
        if (i == line.size()) break;
        const char c = line[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
          done = true;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else {
          word += c;
        }
        continue;
      }
      if (i == line.size()) return std::nullopt;  // unterminated quote
      const char c = line[i];
      if (c == quote) {
        if (!ends_word(i + 1)) return std::nullopt;  // the closing quote must end the word
        done = true;
      } else if (quote == '\'' && c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
        word += '\'';
        ++i;
      } else if (quote == '"' && c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' &&
                 std::isxdigit(static_cast<unsigned char>(line[i + 2])) != 0 &&
                 std::isxdigit(static_cast<unsigned char>(line[i + 3])) != 0) {
        word += static_cast<char>(std::stoi(std::string(line.substr(i + 2, 2)), nullptr, 16));
        i += 3;
      } else if (quote == '"' && c == '\\' && i + 1 < line.size()) {
        ++i;
        switch (line[i]) {
          case 'n': word += '\n'; break;
          case 'r': word += '\r'; break;
          case 't': word += '\t'; break;
          case 'b': word += '\b'; break;
          case 'a': word += '\a'; break;
          default: word += line[i]; break;
        }
      } else {
        word += c;
      }
    }
    words.push_back(std::move(word));
  }
}

// Checks a "#!lua [flags=...]" first line as Redis 7.0 does; returns where
// the code starts (the line's newline, so line numbers stay) or the error.
std::expected<std::size_t, std::string> check_shebang(std::string_view body) {
  const std::size_t newline = body.find('\n');
  if (newline == std::string_view::npos) return std::unexpected("ERR Invalid script shebang");
  const auto words = split_args(body.substr(0, newline));
  if (!words) return std::unexpected("ERR Invalid engine in script shebang");
  if (words->front() != "#!lua") {
    return std::unexpected("ERR Unexpected engine in script shebang: " + words->front());
  }
  constexpr std::string_view kFlags[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster",
                                         "allow-cross-slot-keys"};
  for (std::size_t w = 1; w < words->size(); ++w) {
    const std::string_view word = (*words)[w];
    if (!word.starts_with("flags=")) {
      return std::unexpected("ERR Unknown lua shebang option: " + std::string(word));
    }
    std::string_view flags = word.substr(6);
    while (!flags.empty()) {  // "a,b" is a and b; "a," is a and ""
      const std::size_t comma = flags.find(',');
      const std::string_view flag = flags.substr(0, comma);
      if (std::find(std::begin(kFlags), std::end(kFlags), flag) == std::end(kFlags)) {
        return std::unexpected("ERR Unexpected flag in script shebang: " + std::string(flag));
      }
      if (comma == std::string_view::npos) break;
      flags.remove_prefix(comma + 1);
      if (flags.empty()) return std::unexpected(std::string("ERR Unexpected flag in script shebang: "));
    }
  }
  return newline;
}

// Parses a strict integer as Redis's string2ll: no sign but '-', no leading
// zeros or spaces, in range.
std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text == "0") return 0;
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 19 || text.front() < '1' || text.front() > '9') return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits cannot overflow
  }
  constexpr std::uint64_t kMax = 9223372036854775807ULL;
  if (value > kMax + (negative ? 1 : 0)) return std::nullopt;
  return negative ? static_cast<std::int64_t>(0 - value) : static_cast<std::int64_t>(value);
}

// numkeys (argv[2]) as EVAL and EVALSHA check it.
std::expected<std::size_t, Reply> parse_numkeys(const Argv& argv) {
  const std::optional<std::int64_t> numkeys = parse_integer(argv[2]);
  if (!numkeys) return std::unexpected(Reply::error("ERR value is not an integer or out of range"));
  if (*numkeys > static_cast<std::int64_t>(argv.size() - 3)) {
    return std::unexpected(Reply::error("ERR Number of keys can't be greater than number of args"));
  }
  if (*numkeys < 0) return std::unexpected(Reply::error("ERR Number of keys can't be negative"));
  return static_cast<std::size_t>(*numkeys);
}

Reply noscript() { return Reply::error("NOSCRIPT No matching script. Please use EVAL."); }

// Pushes a new array of argv[from, to).
void push_strings(lua_State* L, const Argv& argv, std::size_t from, std::size_t to) {
  lua_createtable(L, static_cast<int>(to - from), 0);
  for (std::size_t i = from; i < to; ++i) {
    push(L, argv[i]);
    lua_rawseti(L, -2, static_cast<int>(i - from + 1));
  }
}

// ---- reusing KEYS and ARGV -------------------------------------------------------
//
// Redis makes KEYS and ARGV anew for every run; two tables of garbage per run
// cost about a quarter of a short script's time in allocation and collection.
// A table is reused only when the next run could not tell it from a new one:
//
// - no script can keep a reference to it past its run: the globals and every
//   library table are read-only, so the only mutable objects a run can reach
//   after the previous one ended are the KEYS and ARGV tables themselves, and
//   all their contents are overwritten before the next run starts;
// - after the run it is exactly what lua_createtable(n, 0) makes: no
//   metatable, no hash part, an array part of n slots (whose values the next
//   run's arguments replace). Lua's API cannot tell this, so it is read from
//   the table itself (LuaTable below), on a layout checked once against the
//   library at startup (reuse is off if the check fails);
// - tostring() gave it no number (that would show it is the same table): no
//   object got a number during the run.
//
// Whatever a script does to the tables (writes, table.insert, setmetatable,
// rawset, tostring) therefore makes the next run get new tables, as now.

// Lua 5.1's Table (lobject.h): the fields read here.
struct LuaTable {
  void* next;  // CommonHeader
  unsigned char tt;
  unsigned char marked;
  unsigned char flags;
  unsigned char lsizenode;
  LuaTable* metatable;
  void* array;
  const void* node;
  void* lastfree;
  void* gclist;
  int sizearray;
};

const LuaTable& table_at(lua_State* L, int index) {
  return *static_cast<const LuaTable*>(lua_topointer(L, index));
}

// Checks LuaTable against the library's tables; returns the address of Lua's
// shared empty hash part (dummynode), or nullptr if the layout is not the one
// expected.
const void* probe_table_layout(lua_State* L) {
  const int top = lua_gettop(L);
  lua_createtable(L, 3, 0);  // top + 1
  lua_createtable(L, 0, 0);  // top + 2
  lua_createtable(L, 0, 4);  // top + 3
  const LuaTable& array = table_at(L, top + 1);
  const LuaTable& empty = table_at(L, top + 2);
  const LuaTable& hashed = table_at(L, top + 3);
  const void* dummy = array.node;
  bool ok = array.tt == LUA_TTABLE && array.sizearray == 3 && array.metatable == nullptr &&
            array.lsizenode == 0 && empty.node == dummy && empty.sizearray == 0 &&
            hashed.node != dummy && hashed.lsizenode == 2 && hashed.sizearray == 0;
  lua_pushvalue(L, top + 3);
  lua_setmetatable(L, top + 2);
  ok = ok && empty.metatable == static_cast<const void*>(&hashed);
  for (int i = 1; i <= 4; ++i) {
    lua_pushinteger(L, i);
    lua_rawseti(L, top + 1, i);
  }
  ok = ok && array.sizearray == 4 && array.node == dummy;
  lua_pushinteger(L, 1);
  lua_setfield(L, top + 1, "x");
  ok = ok && array.node != dummy;
  lua_settop(L, top);
  return ok ? dummy : nullptr;
}

}  // namespace

struct ScriptEngine::State {
  CommandCall call;
  lua::SandboxState sandbox;  // outlives the Lua states: flush() makes a new one
  CallContext context;
  lua_State* L = nullptr;
  // SHA1 -> registry reference of the compiled function (also kept in the
  // kScriptsKey table). References make a run's set-up index lookups rather
  // than string lookups: the handler, the function, the globals table and the
  // names KEYS and ARGV are fetched with lua_rawgeti.
  std::map<std::string, int, std::less<>> scripts;
  int handler_ref = LUA_NOREF;
  int globals_ref = LUA_NOREF;
  int keys_name_ref = LUA_NOREF;
  int argv_name_ref = LUA_NOREF;
  Argv command_scratch;  // see CallContext::scratch
  bool running = false;
  // KEYS and ARGV as the last run left them (see "reusing KEYS and ARGV").
  struct ArgTable {
    int ref = LUA_NOREF;              // registry reference of the table
    const LuaTable* table = nullptr;  // the table itself (Lua does not move objects)
    int size = 0;                     // how many arguments it was made or refilled with
    bool reusable = false;            // also: it is what the global (KEYS or ARGV) holds
  };
  ArgTable keys_table;
  ArgTable argv_table;
  const void* empty_hash = nullptr;  // Lua's dummynode; nullptr: reuse is off

  explicit State(CommandCall command_call) : call(std::move(command_call)) {
    try {
      open();
    } catch (...) {
      close();
      throw;
    }
  }
  ~State() { close(); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void open() {
    L = lua_newstate(allocate, &context);
    if (L == nullptr) throw std::bad_alloc();
    lua_atpanic(L, panic);
    lua_sethook(L, guard_stack, LUA_MASKCALL, 0);
    lua::open_libraries(L, sandbox);
    open_redis_library(L, context);
    lua::push_function(L, error_handler);  // visible to scripts, as in Redis
    lua_setfield(L, LUA_GLOBALSINDEX, "__redis__err__handler");
    lua::new_table(L);
    lua_setfield(L, LUA_REGISTRYINDEX, kScriptsKey);
    lua::freeze_globals(L);
    // One message handler for every run (a fresh closure per run was garbage).
    lua::push_function(L, error_handler);
    handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua::push_globals(L);
    globals_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushliteral(L, "KEYS");
    keys_name_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushliteral(L, "ARGV");
    argv_name_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    empty_hash = probe_table_layout(L);
    for (ArgTable* table : {&keys_table, &argv_table}) {
      lua::new_table(L);
      *table = ArgTable{luaL_ref(L, LUA_REGISTRYINDEX), nullptr, 0, false};
    }
  }

  // Makes `table` hold argv[from, to) for the next run and global `name`
  // (a registry reference) refer to it: the previous run's table refilled,
  // if it may be reused (the global still refers to it: scripts cannot
  // assign globals), else a new one.
  void set_arguments(ArgTable& table, int name, const Argv& argv, std::size_t from, std::size_t to) {
    const int size = static_cast<int>(to - from);
    if (table.reusable && table.size == size) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, table.ref);
      for (std::size_t i = from; i < to; ++i) {
        push(L, argv[i]);
        lua_rawseti(L, -2, static_cast<int>(i - from + 1));
      }
      pop(L, 1);
    } else {
      lua_rawgeti(L, LUA_REGISTRYINDEX, globals_ref);
      lua_rawgeti(L, LUA_REGISTRYINDEX, name);
      push_strings(L, argv, from, to);
      table.table = &table_at(L, -1);
      lua_pushvalue(L, -1);
      lua_rawseti(L, LUA_REGISTRYINDEX, table.ref);
      lua_rawset(L, -3);
      pop(L, 1);
      table.size = size;
    }
    table.reusable = false;  // until the end of the run shows otherwise
  }

  // After a run: whether `table` is still as lua_createtable(size, 0) made it.
  void check_reusable(ArgTable& table) const {
    const LuaTable& t = *table.table;
    table.reusable = t.metatable == nullptr && t.node == empty_hash && t.sizearray == table.size;
  }

  void close() {
    if (L != nullptr) lua_close(L);
    L = nullptr;
    scripts.clear();
  }

  void check_idle(const char* what) const {
    if (running) throw std::logic_error(std::string("ScriptEngine: ") + what + " while a script runs");
  }

  // Compiles `body` as script `sha`; returns the error reply if it does not compile.
  std::optional<Reply> compile(std::string_view body, const std::string& sha) {
    std::string_view code = body;
    if (body.starts_with("#!")) {
      const auto start = check_shebang(body);
      if (!start) return Reply::error(start.error());
      code = body.substr(*start);
    }
    // Redis's Lua takes only source text: a precompiled chunk fails to parse
    // as text does ("unexpected symbol near 'char(27)'"), which a leading
    // space makes the stock loader do too.
    std::string text;
    if (!code.empty() && code.front() == LUA_SIGNATURE[0]) {
      text.reserve(code.size() + 1);
      text += ' ';
      text += code;
      code = text;
    }
    if (luaL_loadbuffer(L, code.data(), code.size(), kChunkName) != 0) {
      std::string error = "ERR Error compiling script (new function): " + std::string(view(L, -1));
      pop(L, 1);
      return Reply::error(lua::reply_text(error));
    }
    // A script that cannot assign a global reads the real globals, not
    // their read-only proxy (two table lookups fewer per global it reads;
    // see lua_bytecode.cpp). What it can reach is the same: _G, and the
    // libraries, are still proxies.
    if (!lua::may_set_globals(L, -1)) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, globals_ref);
      lua_setfenv(L, -2);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, kScriptsKey);
    push(L, sha);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    pop(L, 1);
    scripts.emplace(sha, luaL_ref(L, LUA_REGISTRYINDEX));  // pops the function
    return std::nullopt;
  }

  // Runs compiled script `sha` (registry reference `function_ref`) with
  // argv's keys and args.
  Reply run(const std::string& sha, int function_ref, const Argv& argv, std::size_t numkeys) {
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, function_ref);
    set_arguments(keys_table, keys_name_ref, argv, 3, 3 + numkeys);
    set_arguments(argv_table, argv_name_ref, argv, 3 + numkeys, argv.size());

    context = CallContext{&call, false, nullptr, stack_address() - kStackBudget, &command_scratch};
    const double object_ids = sandbox.next_object_id;
    running = true;
    const int status = lua_pcall(L, 0, 1, 1);
    running = false;
    context.stack_limit = 0;  // the next run may start on another (fiber's) stack
    if (empty_hash != nullptr && sandbox.next_object_id == object_ids) {
      check_reusable(keys_table);
      check_reusable(argv_table);
    }
    Reply reply = status == 0 ? lua::to_reply(L, -1) : script_error(L, sha);
    lua_settop(L, 0);
    if (context.failure) std::rethrow_exception(std::exchange(context.failure, nullptr));
    return reply;
  }
};

ScriptEngine::ScriptEngine(CommandCall call) : state_(std::make_unique<State>(std::move(call))) {}

ScriptEngine::~ScriptEngine() = default;

Reply ScriptEngine::eval(const Argv& argv) {
  state_->check_idle("EVAL");
  if (argv.size() < 3) return Reply::error("ERR wrong number of arguments for 'eval' command");
  const auto numkeys = parse_numkeys(argv);
  if (!numkeys) return numkeys.error();
  const std::string sha = sha1_hex(argv[1]);
  if (!state_->scripts.contains(sha)) {
    if (auto error = state_->compile(argv[1], sha)) return *error;
  }
  return state_->run(sha, state_->scripts.find(sha)->second, argv, *numkeys);
}

Reply ScriptEngine::evalsha(const Argv& argv) {
  state_->check_idle("EVALSHA");
  if (argv.size() < 3) return Reply::error("ERR wrong number of arguments for 'evalsha' command");
  // Redis answers a SHA1 of the wrong length before looking at numkeys.
  if (argv[1].size() != 40) return noscript();
  const auto numkeys = parse_numkeys(argv);
  if (!numkeys) return numkeys.error();
  // SHA1s are kept in lower case; most clients send them so (found as
  // given, no copy). One with upper case is looked up again in lower case.
  const std::string& given = argv[1];
  auto found = state_->scripts.find(given);
  if (found == state_->scripts.end()) {
    const bool has_upper = std::any_of(given.begin(), given.end(),
                                       [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!has_upper) return noscript();
    found = state_->scripts.find(lower(given));
    if (found == state_->scripts.end()) return noscript();
  }
  return state_->run(found->first, found->second, argv, *numkeys);
}

Reply ScriptEngine::load(std::string_view body) {
  state_->check_idle("SCRIPT LOAD");
  std::string sha = sha1_hex(body);
  if (!state_->scripts.contains(sha)) {
    if (auto error = state_->compile(body, sha)) return *error;
  }
  return Reply::bulk(std::move(sha));
}

bool ScriptEngine::exists(std::string_view sha1) const { return state_->scripts.contains(lower(sha1)); }

void ScriptEngine::flush() {
  // Redis drops the whole Lua state; its PRNG (kept in `sandbox`) carries on.
  state_->check_idle("SCRIPT FLUSH");
  state_->close();
  state_->open();
}

std::string ScriptEngine::sha1_hex(std::string_view text) {
  char hex[40];
  sha1_into(text, hex);
  return std::string(hex, sizeof hex);
}

}  // namespace locklab::sim::redis
