// Private to sim/src/redis: the pieces of the scripting engine, shared by
// scripting.cpp (ScriptEngine, the redis.* library, script errors),
// lua_sandbox.cpp (the globals scripts see) and lua_convert.cpp (Lua values
// <-> RESP replies).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "locklab/sim/redis/resp.hpp"
#include "lua_api.hpp"

namespace locklab::sim::redis::lua {

// ---- lua_sandbox.cpp -------------------------------------------------------

// What the sandbox keeps across Lua states: SCRIPT FLUSH recreates the Lua
// state, but in redis-server the PRNG behind math.random is process-wide and
// survives it.
struct SandboxState {
  // redis-server's rand48 state. It starts at the C library's unseeded
  // default and is never reseeded per script in 7.0: consecutive scripts
  // continue one sequence, math.randomseed(n) restarts it for all.
  std::uint64_t rand48 = 0x1234ABCD330EULL;
  // Numbers tostring() gives tables and functions in place of addresses,
  // which would differ from run to run.
  double next_object_id = 1;
};

// Opens what Redis gives scripts (base without file access, table, string,
// math with a deterministic random, bit) into the state's globals. `state`
// must outlive the Lua state.
void open_libraries(lua_State* L, SandboxState& state);

// Makes the globals and the library tables read-only, as Redis 7.0 does, and
// makes reading an undefined global an error. Call once, after everything
// (including the redis table) is in place.
void freeze_globals(lua_State* L);

// Sets global `name` to the value on top of the stack (popped), bypassing the
// read-only protection: how KEYS and ARGV are set before each run.
void set_global(lua_State* L, const char* name);

// Pushes the real (writable) globals table, for a caller that keeps a
// reference to it and sets KEYS and ARGV itself.
void push_globals(lua_State* L);

// Pushes tostring(value at index) as the sandbox's tostring computes it.
void push_tostring(lua_State* L, int index);

// The error a script gets when it writes to a read-only table.
inline constexpr const char* kReadonlyError = "Attempt to modify a readonly table";

// ---- lua_bytecode.cpp ------------------------------------------------------

// Whether the Lua 5.1 binary chunk `chunk` (as lua_dump writes it on this
// machine) has a SETGLOBAL instruction in any of its functions; nullopt if
// the bytes are not such a chunk.
std::optional<bool> chunk_sets_globals(std::string_view chunk);

// Whether the Lua function at `index` may assign a global: true unless its
// dumped code shows it cannot (see chunk_sets_globals).
bool may_set_globals(lua_State* L, int index);

// ---- lua_convert.cpp -------------------------------------------------------

// How deeply nested a script's reply may be. Redis stops when the Lua stack
// is full (about 8000 levels); we stop far earlier so that a pathological
// reply cannot exhaust a fiber's stack here or in the code that encodes it.
// Either way the innermost value becomes "ERR reached lua stack limit".
inline constexpr int kMaxReplyNesting = 128;

// The script's return value at `index`, as redis-server 7.0 converts it for a
// RESP2 client. Raises no Lua error.
Reply to_reply(lua_State* L, int index);

// Pushes what redis.call / redis.pcall give the script for `reply`. An error
// reply becomes {err=..., ignore_error_stats_update=true}; a nil reply is
// false, or nil after redis.setresp(3).
void push_reply(lua_State* L, const Reply& reply, bool resp3);

// Pushes the table {err=text}.
void push_error_table(lua_State* L, std::string_view text);

// Redis's error text for a Lua error table from an error reply "-<text>":
// "<CODE> <message>", with ERR as the code when there is none and the
// message trimmed of CR and LF.
std::string shape_error(std::string_view text_after_dash);

// A status or error text as redis-server writes it: up to the first NUL (it
// handles these as C strings), with CR and LF replaced by spaces.
std::string reply_text(std::string_view text);

// A Lua number as Redis prints it in commands and double replies ("%.17g").
std::string format_number(double value);

}  // namespace locklab::sim::redis::lua
