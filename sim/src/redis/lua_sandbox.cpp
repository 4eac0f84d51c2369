// The globals a script sees, as redis-server 7.0 sets them up: the base,
// table, string and math libraries without file access, a deterministic
// math.random, the bit library, read-only globals and library tables, and an
// error on reading an undefined global.
//
// Redis 7.0 makes tables read-only with a flag it patched into its Lua. The
// stock Lua 5.1 here has no such flag, so each protected table hides behind an
// empty proxy whose metatable reads through to it and rejects writes; the base
// functions that would see through or around a proxy (next, pairs, rawget,
// rawset, getmetatable, setmetatable, table.insert, table.foreach) are
// replaced by versions that treat a proxy as the table it stands for.
//
// Nothing here reads a clock or OS randomness, and tostring() names tables
// and functions by a counter instead of their address, so a script's output
// depends only on its inputs.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "scripting_internal.hpp"

namespace locklab::sim::redis::lua {

namespace {

// Registry entries (their values are tables unless noted).
constexpr const char* kSandboxKey = "locklab.sandbox";           // light userdata: SandboxState
constexpr const char* kGlobalsKey = "locklab.globals";           // the real globals table
constexpr const char* kTargetsKey = "locklab.readonly.targets";  // proxy -> protected table
constexpr const char* kProxiesKey = "locklab.readonly.proxies";  // protected table -> proxy
constexpr const char* kObjectIdsKey = "locklab.object_ids";      // object -> number (weak keys)

SandboxState& sandbox(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kSandboxKey);
  auto* state = static_cast<SandboxState*>(lua_touserdata(L, -1));
  pop(L, 1);
  return *state;
}

// ---- read-only tables ------------------------------------------------------

// Pushes map[value at index] from registry table `map` if it has an entry;
// returns false (and pushes nothing) if it has none.
bool push_mapped(lua_State* L, const char* map, int index) {
  if (!is_table(L, index)) return false;
  index = absolute(L, index);
  lua_getfield(L, LUA_REGISTRYINDEX, map);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  if (is_nil(L, -1)) {
    pop(L, 2);
    return false;
  }
  lua_remove(L, -2);
  return true;
}

// If the value at index is a read-only proxy, pushes the table behind it.
bool push_target(lua_State* L, int index) { return push_mapped(L, kTargetsKey, index); }
// If the value at index is a protected table, pushes its read-only proxy.
bool push_proxy(lua_State* L, int index) { return push_mapped(L, kProxiesKey, index); }

bool is_proxy(lua_State* L, int index) {
  if (!push_target(L, index)) return false;
  pop(L, 1);
  return true;
}

// __newindex of every proxy: a script assigned to a protected table.
int readonly_newindex(lua_State* L) { return luaL_error(L, "%s", kReadonlyError); }

// __index of the globals: a script read a global nobody defined.
int missing_global(lua_State* L) {
  const int type = lua_type(L, 2);
  if (type != LUA_TSTRING && type != LUA_TNUMBER) {
    return luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  }
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tolstring(L, 2, nullptr));
}

// Pushes a new read-only proxy for the table at index and records the pair.
void push_new_proxy(lua_State* L, int index) {
  index = absolute(L, index);
  new_table(L);
  const int proxy = lua_gettop(L);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, index);
  raw_set_field(L, -2, "__index");
  push_function(L, readonly_newindex);
  raw_set_field(L, -2, "__newindex");
  lua_setmetatable(L, proxy);

  lua_getfield(L, LUA_REGISTRYINDEX, kTargetsKey);
  lua_pushvalue(L, proxy);
  lua_pushvalue(L, index);
  lua_rawset(L, -3);
  pop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, kProxiesKey);
  lua_pushvalue(L, index);
  lua_pushvalue(L, proxy);
  lua_rawset(L, -3);
  pop(L, 1);
}

// Replaces globals[name] (a table) by its read-only proxy.
void protect_library(lua_State* L, int globals, const char* name) {
  raw_get_field(L, globals, name);
  if (is_table(L, -1)) {
    push_new_proxy(L, -1);
    raw_set_field(L, globals, name);
  }
  pop(L, 1);
}

// ---- base functions that see through proxies --------------------------------

int sandbox_next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (push_target(L, 1)) lua_replace(L, 1);
  if (lua_next(L, 1) != 0) return 2;
  lua_pushnil(L);
  return 1;
}

// Upvalue 1 is sandbox_next.
int sandbox_pairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushvalue(L, upvalue_index(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

int sandbox_rawget(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  if (push_target(L, 1)) lua_replace(L, 1);
  lua_rawget(L, 1);
  return 1;
}

int sandbox_rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (is_proxy(L, 1)) raise_plain(L, kReadonlyError);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int sandbox_setmetatable(lua_State* L) {
  const int type = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  arg_check(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table expected");
  if (luaL_getmetafield(L, 1, "__metatable") != 0) {
    return luaL_error(L, "cannot change a protected metatable");
  }
  if (is_proxy(L, 1)) raise_plain(L, kReadonlyError);
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// A proxy answers with the metatable of the table behind it; a protected
// metatable (the globals' one, the strings' one) is handed out as its proxy.
int sandbox_getmetatable(lua_State* L) {
  luaL_checkany(L, 1);
  if (push_target(L, 1)) lua_replace(L, 1);
  if (lua_getmetatable(L, 1) == 0) {
    lua_pushnil(L);
    return 1;
  }
  if (luaL_getmetafield(L, 1, "__metatable") != 0) return 1;
  push_proxy(L, -1);
  return 1;
}

int sandbox_tostring(lua_State* L) {
  luaL_checkany(L, 1);
  push_tostring(L, 1);
  return 1;
}

int load_result(lua_State* L, int status) {
  if (status == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);  // nil, message
  return 2;
}

// Redis's Lua parses only source text: a precompiled chunk is rejected as text
// is, with "unexpected symbol near 'char(27)'". A leading space hides the
// binary signature from the loader and leaves line numbers as they were.
int sandbox_loadstring(lua_State* L) {
  std::size_t size = 0;
  const char* code = luaL_checklstring(L, 1, &size);
  const char* chunkname = luaL_optlstring(L, 2, code, nullptr);
  if (size > 0 && code[0] == LUA_SIGNATURE[0]) {
    lua_pushlstring(L, " ", 1);
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
    code = lua_tolstring(L, -1, &size);
  }
  return load_result(L, luaL_loadbuffer(L, code, size, chunkname));
}

struct ReaderState {
  bool first = true;
  bool held = false;  // the first piece (in stack slot 3) is still to be handed over
};

// load()'s reader: asks the function at slot 1 for pieces, keeping each in
// slot 3 while the parser reads it; puts a space before a binary chunk.
const char* sandbox_reader(lua_State* L, void* data, std::size_t* size) {
  auto* reader = static_cast<ReaderState*>(data);
  if (reader->held) {
    reader->held = false;
    return lua_tolstring(L, 3, size);
  }
  luaL_checkstack(L, 2, "too many nested functions");
  lua_pushvalue(L, 1);
  lua_call(L, 0, 1);
  if (is_nil(L, -1)) {
    *size = 0;
    return nullptr;
  }
  if (lua_isstring(L, -1) == 0) luaL_error(L, "reader function must return a string");
  lua_replace(L, 3);
  const char* piece = lua_tolstring(L, 3, size);
  if (reader->first) {
    reader->first = false;
    if (*size > 0 && piece[0] == LUA_SIGNATURE[0]) {
      reader->held = true;
      *size = 1;
      return " ";
    }
  }
  return piece;
}

int sandbox_load(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* chunkname = luaL_optlstring(L, 2, "=(load)", nullptr);
  lua_settop(L, 3);
  ReaderState reader;
  return load_result(L, lua_load(L, sandbox_reader, &reader, chunkname));
}

// Redis 7.0's pcall: as Lua's, except that an error table raised by
// redis.call (or error({err=...})) is caught as its err text.
int redis_style_pcall(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc == 0) {
    // Redis's pcall, given nothing, ends up calling its placeholder result.
    lua_pushboolean(L, 0);
    lua_pushstring(L, "attempt to call a boolean value");
    return 2;
  }
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) == 0) {
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
  }
  if (is_table(L, -1)) {
    raw_get_field(L, -1, "err");
    if (lua_isstring(L, -1) != 0) {
      lua_replace(L, -2);
    } else {
      pop(L, 1);
    }
  }
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  return 2;
}

// table.insert, refusing (as Redis does) to write into a protected table.
int sandbox_table_insert(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int end = static_cast<int>(lua_objlen(L, 1)) + 1;  // the first free slot
  int pos = end;
  switch (lua_gettop(L)) {
    case 2:
      break;
    case 3:
      pos = check_int(L, 2);
      if (pos > end) end = pos;
      break;
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  if (is_proxy(L, 1)) raise_plain(L, kReadonlyError);
  for (int i = end; i > pos; --i) {  // shift up to make room
    lua_rawgeti(L, 1, i - 1);
    lua_rawseti(L, 1, i);
  }
  lua_rawseti(L, 1, pos);  // the value is on top
  return 0;
}

// table.foreach, walking the table behind a proxy.
int sandbox_table_foreach(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  if (push_target(L, 1)) lua_replace(L, 1);
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_call(L, 2, 1);
    if (!is_nil(L, -1)) return 1;
    pop(L, 2);
  }
  return 0;
}

// ---- math.random -------------------------------------------------------------

// rand48: x' = (0x5DEECE66D x + 0xB) mod 2^48, returning the top 31 bits, the
// generator redis-server uses for scripts.
std::int32_t next_rand48(SandboxState& state) {
  constexpr std::uint64_t kMask = (std::uint64_t{1} << 48) - 1;
  state.rand48 = (state.rand48 * 0x5DEECE66DULL + 0xB) & kMask;
  return static_cast<std::int32_t>(state.rand48 >> 17);
}

// Lua 5.1's math.random on Redis's generator (drawn before the arguments are
// checked, as in Lua).
int deterministic_random(lua_State* L) {
  constexpr double kMax = 2147483647.0;  // INT32_MAX, Redis's REDIS_LRAND48_MAX
  const double r = static_cast<double>(next_rand48(sandbox(L)) % 2147483647) / kMax;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      const int upper = check_int(L, 1);
      arg_check(L, 1 <= upper, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * upper) + 1);
      break;
    }
    case 2: {
      const int lower = check_int(L, 1);
      const int upper = check_int(L, 2);
      arg_check(L, lower <= upper, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (upper - lower + 1)) + lower);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int deterministic_randomseed(lua_State* L) {
  const auto seed = static_cast<std::uint32_t>(check_int(L, 1));
  sandbox(L).rand48 = (std::uint64_t{seed} << 16) | 0x330E;
  return 0;
}

// ---- bit (LuaBitOp's API, which Redis bundles) -------------------------------

// A number as a 32-bit integer: rounded to nearest (ties to even) and wrapped,
// the way LuaBitOp does it by adding 2^52 + 2^51 and keeping the low word.
std::uint32_t to_bits(double n) {
  const double shifted = n + 6755399441055744.0;
  std::uint64_t word = 0;
  std::memcpy(&word, &shifted, sizeof word);
  return static_cast<std::uint32_t>(word);
}

std::uint32_t bit_arg(lua_State* L, int arg) { return to_bits(luaL_checknumber(L, arg)); }

int push_bits(lua_State* L, std::uint32_t bits) {
  lua_pushnumber(L, static_cast<double>(static_cast<std::int32_t>(bits)));
  return 1;
}

int bit_tobit(lua_State* L) { return push_bits(L, bit_arg(L, 1)); }
int bit_bnot(lua_State* L) { return push_bits(L, ~bit_arg(L, 1)); }

int bit_band(lua_State* L) {
  std::uint32_t bits = bit_arg(L, 1);
  for (int i = lua_gettop(L); i > 1; --i) bits &= bit_arg(L, i);
  return push_bits(L, bits);
}
int bit_bor(lua_State* L) {
  std::uint32_t bits = bit_arg(L, 1);
  for (int i = lua_gettop(L); i > 1; --i) bits |= bit_arg(L, i);
  return push_bits(L, bits);
}
int bit_bxor(lua_State* L) {
  std::uint32_t bits = bit_arg(L, 1);
  for (int i = lua_gettop(L); i > 1; --i) bits ^= bit_arg(L, i);
  return push_bits(L, bits);
}

int bit_lshift(lua_State* L) {
  const std::uint32_t bits = bit_arg(L, 1);
  return push_bits(L, bits << (bit_arg(L, 2) & 31));
}
int bit_rshift(lua_State* L) {
  const std::uint32_t bits = bit_arg(L, 1);
  return push_bits(L, bits >> (bit_arg(L, 2) & 31));
}
int bit_arshift(lua_State* L) {
  const auto bits = static_cast<std::int32_t>(bit_arg(L, 1));
  return push_bits(L, static_cast<std::uint32_t>(bits >> (bit_arg(L, 2) & 31)));
}
int bit_rol(lua_State* L) {
  const std::uint32_t bits = bit_arg(L, 1);
  const std::uint32_t n = bit_arg(L, 2) & 31;
  return push_bits(L, n == 0 ? bits : (bits << n) | (bits >> (32 - n)));
}
int bit_ror(lua_State* L) {
  const std::uint32_t bits = bit_arg(L, 1);
  const std::uint32_t n = bit_arg(L, 2) & 31;
  return push_bits(L, n == 0 ? bits : (bits >> n) | (bits << (32 - n)));
}
int bit_bswap(lua_State* L) { return push_bits(L, __builtin_bswap32(bit_arg(L, 1))); }

// tohex(x [, n]): the low n hex digits (8 by default, at most 8); a negative
// n asks for upper case.
int bit_tohex(lua_State* L) {
  std::uint32_t bits = bit_arg(L, 1);
  std::int64_t n = lua_type(L, 2) == LUA_TNONE ? 8 : static_cast<std::int32_t>(bit_arg(L, 2));
  const char* digits = "0123456789abcdef";
  if (n < 0) {
    n = -n;
    digits = "0123456789ABCDEF";
  }
  if (n > 8) n = 8;
  char text[8];
  for (std::int64_t i = n - 1; i >= 0; --i) {
    text[i] = digits[bits & 15];
    bits >>= 4;
  }
  lua_pushlstring(L, text, static_cast<std::size_t>(n));
  return 1;
}

void open_bit(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"tobit", bit_tobit},   {"bnot", bit_bnot},       {"band", bit_band},
      {"bor", bit_bor},       {"bxor", bit_bxor},       {"lshift", bit_lshift},
      {"rshift", bit_rshift}, {"arshift", bit_arshift}, {"rol", bit_rol},
      {"ror", bit_ror},       {"bswap", bit_bswap},     {"tohex", bit_tohex},
      {nullptr, nullptr},
  };
  lua_createtable(L, 0, 12);
  luaL_register(L, nullptr, functions);
  lua_setfield(L, LUA_GLOBALSINDEX, "bit");
}

// ---- setup -------------------------------------------------------------------

void open_library(lua_State* L, const char* name, lua_CFunction open) {
  push_function(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

void set_function(lua_State* L, int table, const char* name, lua_CFunction f) {
  table = absolute(L, table);
  push_function(L, f);
  raw_set_field(L, table, name);
}

}  // namespace

void open_libraries(lua_State* L, SandboxState& state) {
  lua_pushlightuserdata(L, &state);
  lua_setfield(L, LUA_REGISTRYINDEX, kSandboxKey);
  for (const char* map : {kTargetsKey, kProxiesKey}) {
    new_table(L);
    lua_setfield(L, LUA_REGISTRYINDEX, map);
  }
  new_table(L);  // object ids, not keeping their objects alive
  lua_createtable(L, 0, 1);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, kObjectIdsKey);

  // Redis opens base, table, string and math (plus cjson, struct, cmsgpack
  // and bit): no io, os, package or debug.
  open_library(L, "", luaopen_base);
  open_library(L, LUA_TABLIBNAME, luaopen_table);
  open_library(L, LUA_STRLIBNAME, luaopen_string);
  open_library(L, LUA_MATHLIBNAME, luaopen_math);
  open_bit(L);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int globals = lua_gettop(L);
  // Base functions Redis's scripts do not have: file access, printing,
  // environment juggling, userdata proxies.
  for (const char* name : {"print", "dofile", "loadfile", "getfenv", "setfenv", "newproxy"}) {
    lua_pushnil(L);
    raw_set_field(L, globals, name);
  }
  set_function(L, globals, "pcall", redis_style_pcall);
  set_function(L, globals, "loadstring", sandbox_loadstring);
  set_function(L, globals, "load", sandbox_load);
  set_function(L, globals, "tostring", sandbox_tostring);
  set_function(L, globals, "rawget", sandbox_rawget);
  set_function(L, globals, "rawset", sandbox_rawset);
  set_function(L, globals, "getmetatable", sandbox_getmetatable);
  set_function(L, globals, "setmetatable", sandbox_setmetatable);
  // pairs keeps its own next (as in Lua, where pairs's next is not == next).
  set_function(L, globals, "next", sandbox_next);
  push_function(L, sandbox_next);
  lua_pushcclosure(L, sandbox_pairs, 1);
  raw_set_field(L, globals, "pairs");

  raw_get_field(L, globals, "table");
  set_function(L, -1, "insert", sandbox_table_insert);
  set_function(L, -1, "foreach", sandbox_table_foreach);
  pop(L, 1);
  raw_get_field(L, globals, "math");
  set_function(L, -1, "random", deterministic_random);
  set_function(L, -1, "randomseed", deterministic_randomseed);
  pop(L, 1);
  pop(L, 1);  // globals
}

void freeze_globals(lua_State* L) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int globals = lua_gettop(L);
  lua_pushvalue(L, globals);
  lua_setfield(L, LUA_REGISTRYINDEX, kGlobalsKey);

  for (const char* name : {"string", "table", "math", "coroutine", "bit", "redis"}) {
    protect_library(L, globals, name);
  }

  // Strings index the string library through their shared metatable: point
  // it at the proxy, and protect the metatable itself.
  lua_pushlstring(L, "", 0);
  lua_createtable(L, 0, 1);
  raw_get_field(L, globals, "string");
  raw_set_field(L, -2, "__index");
  push_new_proxy(L, -1);
  pop(L, 1);
  lua_setmetatable(L, -2);
  pop(L, 1);

  // Reading an undefined global is an error (through the globals' metatable,
  // itself protected).
  lua_createtable(L, 0, 1);
  set_function(L, -1, "__index", missing_global);
  push_new_proxy(L, -1);
  pop(L, 1);
  lua_setmetatable(L, globals);

  // From here on scripts, and code loaded by scripts, see the globals through
  // a proxy: it is what _G is, and the thread's global table.
  push_new_proxy(L, globals);
  lua_pushvalue(L, -1);
  raw_set_field(L, globals, "_G");
  lua_replace(L, LUA_GLOBALSINDEX);
  pop(L, 1);
}

void push_globals(lua_State* L) { lua_getfield(L, LUA_REGISTRYINDEX, kGlobalsKey); }

void set_global(lua_State* L, const char* name) {
  push_globals(L);
  lua_insert(L, -2);
  raw_set_field(L, -2, name);
  pop(L, 1);
}

void push_tostring(lua_State* L, int index) {
  index = absolute(L, index);
  if (luaL_callmeta(L, index, "__tostring") != 0) return;
  switch (lua_type(L, index)) {
    case LUA_TNUMBER:
      lua_pushvalue(L, index);
      lua_tolstring(L, -1, nullptr);  // converts the copy in place
      return;
    case LUA_TSTRING:
      lua_pushvalue(L, index);
      return;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, index) != 0 ? "true" : "false");
      return;
    case LUA_TNIL:
      lua_pushstring(L, "nil");
      return;
    default:
      break;
  }
  // "table: 0x00000001": the object's number, first come first numbered,
  // where Lua shows its address.
  lua_getfield(L, LUA_REGISTRYINDEX, kObjectIdsKey);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  double id = lua_tonumber(L, -1);
  pop(L, 1);
  if (id == 0) {
    id = sandbox(L).next_object_id++;
    lua_pushvalue(L, index);
    lua_pushnumber(L, id);
    lua_rawset(L, -3);
  }
  pop(L, 1);
  char text[64];
  std::snprintf(text, sizeof text, "%s: 0x%08" PRIx64, lua_typename(L, lua_type(L, index)),
                static_cast<std::uint64_t>(id));
  lua_pushstring(L, text);
}

}  // namespace locklab::sim::redis::lua
