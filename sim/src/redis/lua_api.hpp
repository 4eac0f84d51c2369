// Private to sim/src/redis: the Lua 5.1 C API as the scripting engine uses it.
//
// Lua is a C library: its headers need extern "C". Several of its API macros
// (luaL_checkint, luaL_argcheck, ...) expand to C-style casts, which this
// project's -Wold-style-cast rejects, so the few we need are re-expressed
// here as inline functions over the underlying API calls; the rest of the
// engine uses only these and plain API functions.
//
// Lua reports errors with longjmp. A C function that Lua calls must not have
// a live C++ object with a destructor when it calls anything that can raise
// (lua_error, luaL_error, luaL_check*): do the C++ work in a helper or an
// inner block, let it end, then raise.
#pragma once

extern "C" {
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>
#include <lua5.1/lualib.h>
}

#include <cstddef>
#include <string_view>

namespace locklab::sim::redis::lua {

inline void pop(lua_State* L, int n) { lua_settop(L, -n - 1); }
inline void new_table(lua_State* L) { lua_createtable(L, 0, 0); }
inline void push_function(lua_State* L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
inline void push(lua_State* L, std::string_view s) { lua_pushlstring(L, s.data(), s.size()); }
inline int upvalue_index(int i) { return LUA_GLOBALSINDEX - i; }

inline bool is_table(lua_State* L, int index) { return lua_type(L, index) == LUA_TTABLE; }
inline bool is_nil(lua_State* L, int index) { return lua_type(L, index) == LUA_TNIL; }

// The bytes of the string at `index` (empty if it is not a string or a
// number). Careful: Lua converts a number to a string in place.
inline std::string_view view(lua_State* L, int index) {
  std::size_t size = 0;
  const char* data = lua_tolstring(L, index, &size);
  return data == nullptr ? std::string_view() : std::string_view(data, size);
}

// Converts a relative stack index into one that stays valid as the stack grows.
inline int absolute(lua_State* L, int index) {
  return index > 0 || index <= LUA_REGISTRYINDEX ? index : lua_gettop(L) + index + 1;
}

// luaL_checkint without its C-style cast.
inline int check_int(lua_State* L, int arg) { return static_cast<int>(luaL_checkinteger(L, arg)); }

// luaL_argcheck without its C-style cast.
inline void arg_check(lua_State* L, bool ok, int arg, const char* message) {
  if (!ok) luaL_argerror(L, arg, message);
}

// Raises `message` as it is, without the "file:line: " prefix luaL_error adds.
[[noreturn]] inline void raise_plain(lua_State* L, const char* message) {
  lua_pushstring(L, message);
  lua_error(L);
  __builtin_unreachable();
}

// t[name] = value on top, without metamethods (pops the value).
inline void raw_set_field(lua_State* L, int table, const char* name) {
  table = absolute(L, table);
  lua_pushstring(L, name);
  lua_insert(L, -2);
  lua_rawset(L, table);
}

// Pushes t[name], without metamethods.
inline void raw_get_field(lua_State* L, int table, const char* name) {
  table = absolute(L, table);
  lua_pushstring(L, name);
  lua_rawget(L, table);
}

}  // namespace locklab::sim::redis::lua
