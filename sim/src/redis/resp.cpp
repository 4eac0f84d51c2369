#include "locklab/sim/redis/resp.hpp"


#include <algorithm>
#include <charconv>
#include <cstring>

namespace locklab::sim::redis {

namespace {

// "<prefix><n>\r\n" without fmt: the headers of every bulk string and array.
void append_header(std::string& out, char prefix, std::int64_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out += prefix;
  out.append(digits, static_cast<std::size_t>(end - digits));
  out += "\r\n";
}

void encode_into(std::string& out, const Reply& r) {
  switch (r.type) {
    case ReplyType::status: out += '+'; out += r.str; out += "\r\n"; return;
    case ReplyType::error: out += '-'; out += r.str; out += "\r\n"; return;
    case ReplyType::integer: append_header(out, ':', r.integer); return;
    case ReplyType::bulk:
      append_header(out, '$', static_cast<std::int64_t>(r.str.size()));
      out += r.str;
      out += "\r\n";
      return;
    case ReplyType::nil: out += "$-1\r\n"; return;
    case ReplyType::array:
      append_header(out, '*', static_cast<std::int64_t>(r.elements.size()));
      for (const Reply& e : r.elements) encode_into(out, e);
      return;
  }
}

// memcpy for the short arguments a command is mostly made of (names, keys,
// tokens, numbers: up to 32 bytes), inline: two overlapping fixed-size copies
// instead of a library call per argument. Anything longer goes to memcpy.
inline void copy_argument(char* to, const char* from, std::size_t n) {
  const auto copy_ends = [&]<std::size_t kWord>() {
    char head[kWord];
    char tail[kWord];
    std::memcpy(head, from, kWord);
    std::memcpy(tail, from + n - kWord, kWord);
    std::memcpy(to, head, kWord);
    std::memcpy(to + n - kWord, tail, kWord);
  };
  if (n >= 16) {
    if (n > 32) return static_cast<void>(std::memcpy(to, from, n));
    copy_ends.template operator()<16>();
  } else if (n >= 8) {
    copy_ends.template operator()<8>();
  } else if (n >= 4) {
    copy_ends.template operator()<4>();
  } else {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

// A cursor over RESP bytes; every read fails softly (nullopt) on bad input.
class Parser {
 public:
  explicit Parser(std::string_view bytes) : bytes_(bytes) {}
  bool at_end() const { return pos_ == bytes_.size(); }
  std::size_t position() const { return pos_; }

  // A command (a non-empty array of bulk strings) parsed straight into an
  // Argv, with no Reply tree in between. Accepts exactly what value() accepts
  // and decode_command() then takes as a command.
  std::optional<Argv> command() {
    Argv argv;
    if (!command(argv)) return std::nullopt;
    return argv;
  }
  // The same into `argv`, whose strings keep their capacity.
  bool command(Argv& argv) {
    if (pos_ >= bytes_.size() || bytes_[pos_] != '*') return false;
    ++pos_;
    auto n = header_number();
    if (!n || *n < 1) return false;  // also nil (-1) and the empty array
    // Each argument takes at least 6 bytes ("$0\r\n\r\n"): a count that
    // cannot fit in what is left fails before anything is sized by it.
    if (*n > static_cast<std::int64_t>((bytes_.size() - pos_) / 6)) return false;
    argv.resize(static_cast<std::size_t>(*n));
    for (std::string& slot : argv) {
      std::optional<std::string_view> arg = short_bulk();
      if (!arg) arg = bulk();  // anything short_bulk() does not take
      if (!arg) return false;
      // As slot.assign(*arg), without assign's checks for overlapping
      // bytes. The size is arg's, not the one passed in: GCC 12's
      // libstdc++ passes the grown capacity there when the string grows.
      slot.resize_and_overwrite(arg->size(), [&arg](char* p, std::size_t) {
        copy_argument(p, arg->data(), arg->size());
        return arg->size();
      });
    }
    return true;
  }

  std::optional<Reply> value() {
    if (pos_ >= bytes_.size()) return std::nullopt;
    const char kind = bytes_[pos_++];
    auto line = this->line();
    if (!line) return std::nullopt;
    switch (kind) {
      case '+': return Reply::status(std::string(*line));
      case '-': return Reply::error(std::string(*line));
      case ':': {
        auto n = number(*line);
        if (!n) return std::nullopt;
        return Reply::integer_reply(*n);
      }
      case '$': {
        auto n = number(*line);
        if (!n || *n < -1) return std::nullopt;
        if (*n == -1) return Reply::nil();
        auto body = bulk_body(static_cast<std::size_t>(*n));
        if (!body) return std::nullopt;
        return Reply::bulk(std::string(*body));
      }
      case '*': {
        auto n = number(*line);
        if (!n || *n < -1) return std::nullopt;
        if (*n == -1) return Reply::nil();
        std::vector<Reply> items;
        for (std::int64_t i = 0; i < *n; ++i) {
          auto item = value();
          if (!item) return std::nullopt;
          items.push_back(std::move(*item));
        }
        return Reply::array(std::move(items));
      }
      default: return std::nullopt;
    }
  }

 private:
  // The usual bulk string, in one pass over raw pointers: "$", at most nine
  // digits, CRLF, the bytes, CRLF. Anything else (or bad input) is left, the
  // position unchanged, for bulk(), which accepts a superset and reads these
  // the same way.
  std::optional<std::string_view> short_bulk() {
    const char* p = bytes_.data() + pos_;
    const char* const end = bytes_.data() + bytes_.size();
    if (end - p < 6 || *p != '$') return std::nullopt;  // "$0\r\n\r\n" at least
    ++p;
    const char* const first = p;
    const char* const limit = end - p > 9 ? p + 9 : end;
    std::size_t n = 0;
    while (p != limit && static_cast<unsigned char>(*p - '0') <= 9) {
      n = n * 10 + static_cast<std::size_t>(*p - '0');
      ++p;
    }
    if (p == first || static_cast<std::size_t>(end - p) < n + 4 || p[0] != '\r' || p[1] != '\n' ||
        p[n + 2] != '\r' || p[n + 3] != '\n') {
      return std::nullopt;
    }
    pos_ = static_cast<std::size_t>(p + n + 4 - bytes_.data());
    return std::string_view(p + 2, n);
  }

  // A non-nil bulk string: "$<n>\r\n<n bytes>\r\n".
  std::optional<std::string_view> bulk() {
    if (pos_ >= bytes_.size() || bytes_[pos_] != '$') return std::nullopt;
    ++pos_;
    auto n = header_number();
    if (!n || *n < 0) return std::nullopt;
    return bulk_body(static_cast<std::size_t>(*n));
  }
  // The `size` bytes after a bulk header and the CRLF that ends them.
  std::optional<std::string_view> bulk_body(std::size_t size) {
    if (bytes_.size() - pos_ < size + 2 || bytes_[pos_ + size] != '\r' ||
        bytes_[pos_ + size + 1] != '\n') {
      return std::nullopt;
    }
    std::string_view body = bytes_.substr(pos_, size);
    pos_ += size + 2;
    return body;
  }

  // The number that ends a header line ("*3\r\n", "$5\r\n", ":-1\r\n").
  // Short plain numbers are read in one pass; anything else goes the general
  // way (the line up to the first CRLF, through from_chars), so both accept
  // exactly the same inputs.
  std::optional<std::int64_t> header_number() {
    const char* p = bytes_.data() + pos_;
    const char* const end = bytes_.data() + bytes_.size();
    const bool negative = p != end && *p == '-';
    if (negative) ++p;
    const char* const first = p;
    const char* const limit = end - first > 18 ? first + 18 : end;  // 18 digits cannot overflow
    std::int64_t n = 0;
    while (p != limit && static_cast<unsigned char>(*p - '0') <= 9) {
      n = n * 10 + (*p - '0');
      ++p;
    }
    if (p != first && end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
      pos_ = static_cast<std::size_t>(p + 2 - bytes_.data());
      return negative ? -n : n;
    }
    return header_number_in_general();
  }
  // Out of line, so the common path above saves no registers for it.
  [[gnu::noinline]] std::optional<std::int64_t> header_number_in_general() {
    auto line = this->line();
    if (!line) return std::nullopt;
    return number(*line);
  }

  std::optional<std::string_view> line() {
    const std::size_t end = bytes_.find("\r\n", pos_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view text = bytes_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return text;
  }
  static std::optional<std::int64_t> number(std::string_view text) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return n;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode(const Reply& reply) {
  std::string out;
  encode_into(out, reply);
  return out;
}

namespace {

// Writes "<prefix><n>\r\n" at `out`; returns the end.
char* write_header(char* out, char prefix, std::size_t n) {
  *out++ = prefix;
  out = std::to_chars(out, out + 20, n).ptr;
  *out++ = '\r';
  *out++ = '\n';
  return out;
}

std::size_t header_size(std::size_t n) {
  std::size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits + 3;
}

}  // namespace

// Sized exactly first, then written in place: one allocation, no appends.
std::string encode_command(const Argv& argv) {
  std::string out;
  encode_command(argv, out);
  return out;
}

void encode(const Reply& reply, std::string& out) {
  out.clear();
  encode_into(out, reply);
}

namespace {

// `Args`: a range of std::string or std::string_view.
template <typename Args>
void encode_command_into(const Args& argv, std::string& out) {
  std::size_t size = header_size(argv.size());
  for (std::string_view arg : argv) size += header_size(arg.size()) + arg.size() + 2;
  out.resize(size);
  char* p = write_header(out.data(), '*', argv.size());
  for (std::string_view arg : argv) {
    p = write_header(p, '$', arg.size());
    std::memcpy(p, arg.data(), arg.size());
    p += arg.size();
    *p++ = '\r';
    *p++ = '\n';
  }
}

}  // namespace

void encode_command(const Argv& argv, std::string& out) { encode_command_into(argv, out); }

void encode_command(std::span<const std::string_view> argv, std::string& out) {
  encode_command_into(argv, out);
}

std::optional<Reply> decode_reply(std::string_view bytes) {
  Parser parser(bytes);
  auto value = parser.value();
  if (!value || !parser.at_end()) return std::nullopt;
  return value;
}

std::optional<Argv> decode_command(std::string_view bytes) {
  Parser parser(bytes);
  auto argv = parser.command();
  if (!argv || !parser.at_end()) return std::nullopt;
  return argv;
}

bool decode_command(std::string_view bytes, Argv& argv) {
  Parser parser(bytes);
  return parser.command(argv) && parser.at_end();
}

std::vector<Argv> decode_command_stream(std::string_view bytes) {
  std::vector<Argv> commands;
  Parser parser(bytes);
  while (!parser.at_end()) {
    std::optional<Argv> argv = parser.command();
    if (!argv) break;
    commands.push_back(std::move(*argv));
  }
  return commands;
}

}  // namespace locklab::sim::redis
