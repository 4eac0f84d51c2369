// Conversions between Lua values and RESP replies, as redis-server 7.0 does
// them: a script's return value becomes the client's reply (to_reply), and a
// command's reply becomes what redis.call gives the script (push_reply).
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "scripting_internal.hpp"

namespace locklab::sim::redis::lua {

namespace {

// Redis converts with a C cast to long long: x86-64 turns NaN and values out
// of range into INT64_MIN, and truncates the rest toward zero.
std::int64_t to_integer(double value) {
  if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0)) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(value);
}

// Pushes t[name] if it has Lua type `type` and returns true; otherwise
// pushes nothing.
bool push_field(lua_State* L, int table, const char* name, int type) {
  raw_get_field(L, table, name);
  if (lua_type(L, -1) == type) return true;
  pop(L, 1);
  return false;
}

// Pops the string on top as a std::string.
std::string pop_string(lua_State* L) {
  std::string text(view(L, -1));
  pop(L, 1);
  return text;
}

Reply value_to_reply(lua_State* L, int index, int depth);

// The array part, up to the first nil.
Reply array_to_reply(lua_State* L, int table, int depth) {
  std::vector<Reply> items;
  for (int i = 1;; ++i) {
    lua_rawgeti(L, table, i);
    if (is_nil(L, -1)) {
      pop(L, 1);
      break;
    }
    items.push_back(value_to_reply(L, -1, depth + 1));
    pop(L, 1);
  }
  return Reply::array(std::move(items));
}

// {map={k=v,...}} and {set={k=true,...}} (RESP3 types) reach a RESP2 client
// flattened: k1, v1, k2, v2... or k1, k2..., in Lua's traversal order.
Reply pairs_to_reply(lua_State* L, int table, int depth, bool with_values) {
  std::vector<Reply> items;
  lua_pushnil(L);
  while (lua_next(L, table) != 0) {
    items.push_back(value_to_reply(L, -2, depth + 1));
    if (with_values) items.push_back(value_to_reply(L, -1, depth + 1));
    pop(L, 1);
  }
  return Reply::array(std::move(items));
}

// A table is a reply by its fields, checked in Redis's order, each only if
// it has the right type; failing all, it is an array.
Reply table_to_reply(lua_State* L, int table, int depth) {
  if (push_field(L, table, "err", LUA_TSTRING)) return Reply::error(reply_text(pop_string(L)));
  if (push_field(L, table, "ok", LUA_TSTRING)) return Reply::status(reply_text(pop_string(L)));
  if (push_field(L, table, "double", LUA_TNUMBER)) {
    const double value = lua_tonumber(L, -1);
    pop(L, 1);
    return Reply::bulk(format_number(value));
  }
  if (push_field(L, table, "big_number", LUA_TSTRING)) {
    std::string digits = pop_string(L);
    for (char& c : digits) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    return Reply::bulk(std::move(digits));
  }
  if (push_field(L, table, "verbatim_string", LUA_TTABLE)) {
    const int verbatim = lua_gettop(L);
    raw_get_field(L, verbatim, "format");
    raw_get_field(L, verbatim, "string");
    const bool valid = lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING;
    std::string text = valid ? std::string(view(L, -1)) : std::string();
    pop(L, 3);
    if (valid) return Reply::bulk(std::move(text));
  }
  if (push_field(L, table, "map", LUA_TTABLE)) {
    Reply reply = pairs_to_reply(L, lua_gettop(L), depth, true);
    pop(L, 1);
    return reply;
  }
  if (push_field(L, table, "set", LUA_TTABLE)) {
    Reply reply = pairs_to_reply(L, lua_gettop(L), depth, false);
    pop(L, 1);
    return reply;
  }
  return array_to_reply(L, table, depth);
}

Reply value_to_reply(lua_State* L, int index, int depth) {
  if (depth >= kMaxReplyNesting || lua_checkstack(L, 4) == 0) {
    return Reply::error("ERR reached lua stack limit");
  }
  index = absolute(L, index);
  switch (lua_type(L, index)) {
    case LUA_TSTRING:
      return Reply::bulk(std::string(view(L, index)));
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) != 0 ? Reply::integer_reply(1) : Reply::nil();
    case LUA_TNUMBER:
      return Reply::integer_reply(to_integer(lua_tonumber(L, index)));
    case LUA_TTABLE:
      return table_to_reply(L, index, depth);
    default:  // nil, functions, coroutines, userdata
      return Reply::nil();
  }
}

void push_value(lua_State* L, const Reply& reply, bool resp3) {
  // Not luaL_checkstack: our caller has C++ objects alive, so no Lua error may
  // be raised here. Commands never nest replies anywhere near this deep.
  if (lua_checkstack(L, 4) == 0) throw std::length_error("reply nested too deeply for Lua");
  switch (reply.type) {
    case ReplyType::integer:
      lua_pushnumber(L, static_cast<double>(reply.integer));
      return;
    case ReplyType::bulk:
      push(L, reply.str);
      return;
    case ReplyType::nil:
      if (resp3) {
        lua_pushnil(L);
      } else {
        lua_pushboolean(L, 0);
      }
      return;
    case ReplyType::status:
      lua_createtable(L, 0, 1);
      push(L, reply.str);
      raw_set_field(L, -2, "ok");
      return;
    case ReplyType::error:
      push_error_table(L, reply.str);
      return;
    case ReplyType::array:
      lua_createtable(L, static_cast<int>(reply.elements.size()), 0);
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        push_value(L, reply.elements[i], resp3);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      return;
  }
}

}  // namespace

Reply to_reply(lua_State* L, int index) { return value_to_reply(L, index, 0); }

void push_reply(lua_State* L, const Reply& reply, bool resp3) {
  if (!reply.is_error()) {
    push_value(L, reply, resp3);
    return;
  }
  // A command's error: Redis shapes its text and marks it as already counted
  // in the error statistics (visible to scripts that look at the table).
  push_error_table(L, shape_error(reply.str));
  lua_pushboolean(L, 1);
  raw_set_field(L, -2, "ignore_error_stats_update");
}

void push_error_table(lua_State* L, std::string_view text) {
  lua_createtable(L, 0, 1);
  push(L, text);
  raw_set_field(L, -2, "err");
}

std::string shape_error(std::string_view text) {
  text = text.substr(0, text.find('\0'));
  std::string_view code = "ERR";
  std::string_view message = text;
  if (const std::size_t space = text.find(' '); space != std::string_view::npos) {
    code = text.substr(0, space);
    message = text.substr(space + 1);
  }
  const std::size_t first = message.find_first_not_of("\r\n");
  message = first == std::string_view::npos ? std::string_view() : message.substr(first);
  message = message.substr(0, message.find_last_not_of("\r\n") + 1);
  std::string shaped(code);
  shaped += ' ';
  shaped += message;
  return shaped;
}

std::string reply_text(std::string_view text) {
  std::string out(text.substr(0, text.find('\0')));
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

std::string format_number(double value) {
  char text[64];
  const int size = std::snprintf(text, sizeof text, "%.17g", value);
  return std::string(text, static_cast<std::size_t>(size));
}

}  // namespace locklab::sim::redis::lua
