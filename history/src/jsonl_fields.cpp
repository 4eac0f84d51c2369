// Field readers and writers of the JSON Lines forms, with messages that name
// the line and the field.
#include "jsonl_fields.hpp"

#include <fmt/format.h>

#include <limits>

namespace locklab::history::jsonl {

namespace {

// Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF), as
// nlohmann's dump requires.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      code = (code << 6) | (d & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string to_hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0F]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = digit(s[i]);
    const int lo = digit(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

void fail(std::string_view what, std::size_t line, std::string_view field, std::string_view why) {
  if (field.empty()) throw std::runtime_error(fmt::format("{} line {}: {}", what, line, why));
  throw std::runtime_error(fmt::format("{} line {}: field \"{}\": {}", what, line, field, why));
}

void put_bytes(Json& object, const std::string& name, const std::string& bytes) {
  if (valid_utf8(bytes)) {
    object[name] = bytes;
  } else {
    object[name + "_hex"] = to_hex(bytes);
  }
}

const Json& Fields::required(const char* name) const {
  const auto it = object_.find(name);
  if (it == object_.end()) fail(name, "missing");
  return *it;
}

std::uint64_t Fields::u64(const char* name) const {
  const Json& v = required(name);
  if (!v.is_number_unsigned()) fail(name, "expected an unsigned integer, got " + v.dump());
  return v.get<std::uint64_t>();
}

std::int64_t Fields::i64(const char* name) const {
  const Json& v = required(name);
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= kMax) {
    return static_cast<std::int64_t>(v.get<std::uint64_t>());
  }
  fail(name, "expected a 64-bit integer, got " + v.dump());
}

bool Fields::boolean(const char* name) const {
  const Json& v = required(name);
  if (!v.is_boolean()) fail(name, "expected true or false, got " + v.dump());
  return v.get<bool>();
}

std::string Fields::text(const char* name) const {
  const Json& v = required(name);
  if (!v.is_string()) fail(name, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

std::string Fields::bytes(const char* name) const {
  const std::string hex_name = std::string(name) + "_hex";
  const bool plain = object_.contains(name);
  const bool hex = object_.contains(hex_name);
  if (plain && hex) fail(name, "given both as text and as " + hex_name);
  if (!plain && !hex) fail(name, "missing");
  if (plain) return text(name);
  const std::string digits = text(hex_name.c_str());
  std::optional<std::string> decoded = from_hex(digits);
  if (!decoded) fail(hex_name, "expected an even number of hex digits");
  return *decoded;
}

std::optional<std::uint64_t> Fields::optional_u64(const char* name) const {
  const auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  return u64(name);
}

std::optional<std::int64_t> Fields::optional_i64(const char* name) const {
  const auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  return i64(name);
}

}  // namespace locklab::history::jsonl
