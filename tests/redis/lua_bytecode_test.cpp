// The compiled-script reader behind "scripts that cannot assign a global
// read the real globals" (sim/src/redis/lua_bytecode.cpp): it must find
// SETGLOBAL wherever it is (nested functions included), understand every
// chunk this Lua writes, and refuse bytes that are not one; and scripts
// must behave the same whichever way they read their globals.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "locklab/sim/redis/scripting.hpp"
#include "scripting_internal.hpp"  // sim/src/redis, for chunk_sets_globals

namespace locklab::sim::redis {
namespace {

using lock::Reply;

// The chunk lua_dump writes for `code`, compiled by the stock loader.
std::string dumped(const std::string& code) {
  lua_State* L = luaL_newstate();
  EXPECT_EQ(luaL_loadbuffer(L, code.data(), code.size(), "@test"), 0) << code;
  std::string chunk;
  lua_dump(
      L,
      [](lua_State*, const void* p, std::size_t n, void* out) {
        static_cast<std::string*>(out)->append(static_cast<const char*>(p), n);
        return 0;
      },
      &chunk);
  lua_close(L);
  return chunk;
}

TEST(LuaBytecode, FindsGlobalAssignmentsAtAnyDepth) {
  for (const std::string code : {
           "x = 1",
           "local a = 1; y = a",
           "local function f() z = 1 end",
           "return function() return function() w = 2 end end",
           "for i = 1, 3 do local t = {} t[i] = i end; g = 1",
           "local s = 'x = 1 -- not code'; q = s",
       }) {
    EXPECT_EQ(lua::chunk_sets_globals(dumped(code)), true) << code;
  }
}

TEST(LuaBytecode, PassesScriptsThatOnlyReadGlobals) {
  for (const std::string code : {
           "",
           "return 1",
           "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
           "local x = 1; x = 2; return x",
           "local t = {}; t.x = 1; KEYS[1] = 'a'; string.x = nil; return t",
           "local function f(a) local b = a * 2; return function() b = b + 1; return b end end; return f(1)()",
           "return {1, 'two', 3.5, true, false, nil}",
           "rawset(_G, 'x', 1)",
           "return loadstring('x = 1')",  // the loaded code's SETGLOBAL is in a string, run on the proxy
       }) {
    EXPECT_EQ(lua::chunk_sets_globals(dumped(code)), false) << code;
  }
}

TEST(LuaBytecode, RefusesWhatIsNotAWholeChunk) {
  const std::string chunk = dumped("local function f() return 1 end; return f() + 2");
  EXPECT_EQ(lua::chunk_sets_globals(""), std::nullopt);
  EXPECT_EQ(lua::chunk_sets_globals("return 1"), std::nullopt);
  for (std::size_t cut = 0; cut < chunk.size(); ++cut) {
    EXPECT_EQ(lua::chunk_sets_globals(chunk.substr(0, cut)), std::nullopt) << "cut at " << cut;
  }
  EXPECT_EQ(lua::chunk_sets_globals(chunk + "x"), std::nullopt);
  std::string other_version = chunk;
  other_version[4] = 0x52;
  EXPECT_EQ(lua::chunk_sets_globals(other_version), std::nullopt);
}

// Whether a script reads its globals through the proxy or directly, it sees
// the same values and the same errors; every way of writing one still fails.
TEST(LuaBytecode, ScriptsBehaveTheSameEitherWay) {
  ScriptEngine lua{[](const Argv&) { return Reply::status("OK"); }};
  const auto eval = [&](const std::string& body) {
    return lua.eval(Argv{"EVAL", body, "1", "k", "a"});
  };
  const auto error_text = [&](const std::string& body) {
    const Reply r = eval(body);
    EXPECT_TRUE(r.is_error()) << body;
    return r.str;
  };
  // Read only (direct): values, undefined globals, _G still the proxy.
  EXPECT_EQ(eval("return KEYS[1] .. ARGV[1] .. type(redis.call)").str, "kafunction");
  EXPECT_NE(error_text("return nosuch").find("nonexistent global variable 'nosuch'"), std::string::npos);
  for (const std::string body : {"rawset(_G, 'x', 1)", "_G.x = 1", "redis.call = nil",
                                 "local f = loadstring('x = 1'); f()", "setmetatable(_G, nil)",
                                 "local co = coroutine.wrap(function() _G.y = 1 end); co()"}) {
    EXPECT_NE(error_text(body).find("Attempt to modify a readonly table"), std::string::npos) << body;
  }
  // May write (proxy): the write fails wherever it is.
  for (const std::string body : {"x = 1", "local function f() y = 1 end; f()",
                                 "local co = coroutine.wrap(function() z = 1 end); co()"}) {
    EXPECT_NE(error_text(body).find("Attempt to modify a readonly table"), std::string::npos) << body;
  }
  // A write that never runs refuses nothing.
  EXPECT_EQ(eval("if false then w = 1 end; return 1").integer, 1);
}

}  // namespace
}  // namespace locklab::sim::redis
