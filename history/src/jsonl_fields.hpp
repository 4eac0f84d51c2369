// history/src/jsonl_fields.hpp — reading and writing the fields of locklab's JSON
// Lines files (history, storage log) with messages that name line and field.
//
// Byte strings (keys, payloads, names) are binary-safe: a valid UTF-8 string
// is written as "<name>": "text"; anything else as "<name>_hex": "00ff..".
// Readers accept either. Private to history/src.
//
// Thread-safety: pure functions over the caller's values.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace locklab::history::jsonl {

using Json = nlohmann::ordered_json;

// "<what> line <n>: field "<field>": <why>".
[[noreturn]] void fail(std::string_view what, std::size_t line, std::string_view field,
                       std::string_view why);

void put_bytes(Json& object, const std::string& name, const std::string& bytes);

// Calls `each(line_number, json_object)` for every non-blank line.
template <typename Each>
void for_each_line(std::string_view what, std::string_view text, Each each) {
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Json object;
    try {
      object = Json::parse(line);
    } catch (const Json::parse_error& e) {
      fail(what, number, "", std::string("not JSON: ") + e.what());
    }
    if (!object.is_object()) fail(what, number, "", "not a JSON object");
    each(number, object);
  }
}

// Field readers for one line's object. Required fields throw when absent;
// optional ones return nullopt when absent or null.
class Fields {
 public:
  Fields(std::string_view what, std::size_t line, const Json& object)
      : what_(what), line_(line), object_(object) {}

  std::uint64_t u64(const char* name) const;
  std::int64_t i64(const char* name) const;
  bool boolean(const char* name) const;
  std::string text(const char* name) const;  // a plain string field
  std::string bytes(const char* name) const;  // name or name_hex
  std::optional<std::uint64_t> optional_u64(const char* name) const;
  std::optional<std::int64_t> optional_i64(const char* name) const;
  [[noreturn]] void fail(std::string_view field, std::string_view why) const {
    jsonl::fail(what_, line_, field, why);
  }

 private:
  const Json& required(const char* name) const;

  std::string_view what_;
  std::size_t line_;
  const Json& object_;
};

}  // namespace locklab::history::jsonl
