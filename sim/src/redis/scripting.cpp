// Placeholder until the Lua scripting engine lands (being written now).
#include "locklab/sim/redis/scripting.hpp"

namespace locklab::sim::redis {
struct ScriptEngine::State {};
ScriptEngine::ScriptEngine(CommandCall) : state_(std::make_unique<State>()) {}
ScriptEngine::~ScriptEngine() = default;
Reply ScriptEngine::eval(const Argv&) { return Reply::error("ERR scripting not built yet"); }
Reply ScriptEngine::evalsha(const Argv&) { return Reply::error("ERR scripting not built yet"); }
Reply ScriptEngine::load(std::string_view) { return Reply::error("ERR scripting not built yet"); }
bool ScriptEngine::exists(std::string_view) const { return false; }
void ScriptEngine::flush() {}
std::string ScriptEngine::sha1_hex(std::string_view) { return {}; }
}  // namespace locklab::sim::redis
