// Whether a compiled script can assign a global, read from its Lua 5.1
// binary chunk (what lua_dump writes; the format is lundump.c's).
//
// Why: a script's globals are read-only, which the stock Lua here can only
// enforce through a proxy (lua_sandbox.cpp), and every global a script reads
// through the proxy costs two more table lookups than a plain read. The only
// instruction that writes a function's environment is SETGLOBAL; every other
// way in (_G, rawset, setmetatable, loadstring'd code) goes through the proxy,
// which stays. So a script whose code, nested functions included, has no
// SETGLOBAL may read the real globals directly and behaves the same; one that
// has it keeps the proxy, and its writes fail as before.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "scripting_internal.hpp"

namespace locklab::sim::redis::lua {

namespace {

constexpr unsigned kOpSetGlobal = 7;  // lopcodes.h: MOVE LOADK LOADBOOL LOADNIL GETUPVAL GETGLOBAL GETTABLE SETGLOBAL
constexpr unsigned kOpcodeMask = 0x3F;  // an instruction's low six bits
constexpr int kMaxNesting = 200;        // LUAI_MAXCCALLS: the parser nests no deeper

// Reads a chunk written on this machine (the header says so, or we give up).
class ChunkReader {
 public:
  explicit ChunkReader(std::string_view bytes) : bytes_(bytes) {}

  // nullopt when the bytes are not a chunk this reader understands.
  std::optional<bool> sets_globals() {
    // "\033Lua", version 5.1, official format, little endian, sizes of int,
    // size_t, Instruction and lua_Number, and lua_Number not integral.
    constexpr char kHeader[] = {'\033', 'L', 'u', 'a', 0x51, 0, 1, 4, 8, 4, 8, 0};
    static_assert(sizeof(int) == 4 && sizeof(std::size_t) == 8);
    if (!take(sizeof kHeader) || std::memcmp(bytes_.data(), kHeader, sizeof kHeader) != 0) {
      return std::nullopt;
    }
    bool sets = false;
    if (!function(0, sets) || pos_ != bytes_.size()) return std::nullopt;
    return sets;
  }

 private:
  // One function: its header, code, constants, nested functions, debug info.
  bool function(int depth, bool& sets) {
    if (depth > kMaxNesting || !string() || !take(4 + 4 + 4)) return false;  // source, lines, 4 bytes
    std::int32_t code_size = 0;
    if (!integer(code_size) || code_size < 0) return false;
    for (std::int32_t i = 0; i < code_size; ++i) {
      std::uint32_t instruction = 0;
      if (!word(instruction)) return false;
      if ((instruction & kOpcodeMask) == kOpSetGlobal) sets = true;
    }
    std::int32_t constants = 0;
    if (!integer(constants) || constants < 0) return false;
    for (std::int32_t i = 0; i < constants; ++i) {
      if (!take(1)) return false;
      switch (bytes_[pos_ - 1]) {
        case 0: break;                                   // nil
        case 1: if (!take(1)) return false; break;       // boolean
        case 3: if (!take(8)) return false; break;       // number
        case 4: if (!string()) return false; break;      // string
        default: return false;
      }
    }
    std::int32_t functions = 0;
    if (!integer(functions) || functions < 0) return false;
    for (std::int32_t i = 0; i < functions; ++i) {
      if (!function(depth + 1, sets)) return false;
    }
    // Debug information: line numbers, locals (name, start, end), upvalue names.
    std::int32_t n = 0;
    if (!integer(n) || n < 0 || !take(4 * static_cast<std::size_t>(n))) return false;
    if (!integer(n) || n < 0) return false;
    for (std::int32_t i = 0; i < n; ++i) {
      if (!string() || !take(8)) return false;
    }
    if (!integer(n) || n < 0) return false;
    for (std::int32_t i = 0; i < n; ++i) {
      if (!string()) return false;
    }
    return true;
  }

  bool take(std::size_t n) {
    if (bytes_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool word(std::uint32_t& out) {
    if (!take(4)) return false;
    std::memcpy(&out, bytes_.data() + pos_ - 4, 4);  // little endian, as the header said
    return true;
  }
  bool integer(std::int32_t& out) {
    std::uint32_t w = 0;
    if (!word(w)) return false;
    std::memcpy(&out, &w, 4);
    return true;
  }
  bool string() {
    if (!take(8)) return false;
    std::uint64_t size = 0;
    std::memcpy(&size, bytes_.data() + pos_ - 8, 8);
    return size <= bytes_.size() - pos_ && take(static_cast<std::size_t>(size));
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

int append_chunk(lua_State*, const void* piece, std::size_t size, void* out) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(piece), size);
  return 0;
}

}  // namespace

std::optional<bool> chunk_sets_globals(std::string_view chunk) { return ChunkReader(chunk).sets_globals(); }

bool may_set_globals(lua_State* L, int index) {
  index = absolute(L, index);
  std::string chunk;
  lua_pushvalue(L, index);
  const int status = lua_dump(L, append_chunk, &chunk);
  pop(L, 1);
  if (status != 0) return true;
  return chunk_sets_globals(chunk).value_or(true);  // not understood: assume it may
}

}  // namespace locklab::sim::redis::lua
