// The simulated Redis node (sim::redis::Engine) against a real redis-server
// 7.0: random command sequences run on both must get identical replies, error
// texts included. RapidCheck generates sequences over a small key space (k0..k3,
// values v0..v3 and numeric strings, so that NX/XX conflicts, INCR on numbers
// and non-numbers, and expiry of existing keys all happen), with SET option
// combinations valid and invalid, expiry in every unit, wrong arities, unknown
// commands, mixed-case names and lock-style scripts. A mismatch shrinks to a
// minimal sequence. Plain TESTs pin the texts that matter most to locks.
//
// Each sequence starts from an empty real server (FLUSHALL, SCRIPT FLUSH: not
// part of the compared sequence) and a fresh Engine. The Engine is given the
// real wall clock at the moment each command is sent; absolute times (PXAT,
// EXAT) are computed from a base time taken once per sequence, so both sides
// see the same arguments. TTLs are seconds to minutes long, so time passing
// during a run (even under sanitizers) never expires a key it should not;
// PTTL/TTL replies are compared within a tolerance, everything else exactly
// (but for EXPIRE ... GT|LT between expiry times a few ms apart, which may go
// either way: expiry_comparison_too_close).
//
// At least kMinSequences (500) sequences run, whatever RC_PARAMS says about
// max_success (its seed and reproduce= still apply); the run ends by printing
// how many commands were compared and which error texts the server gave, so a
// CI log shows what was covered. kScripting and kExpireOptions take groups of
// commands out of the sequences, to look past a known mismatch.
//
// The real server is started by the test (tests/support/redis_server.hpp); the
// test fails, never skips, if redis-server is missing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "locklab/sim/redis/engine.hpp"
#include "locklab/sim/redis/resp.hpp"
#include "support/redis_server.hpp"

namespace locklab::sim::redis {
namespace {

using test_support::RedisClient;
using test_support::RedisClientError;
using test_support::RedisServer;

// What the random sequences include. Flip one off to look for other
// mismatches while a known one is being fixed.
constexpr bool kScripting = true;      // EVAL, EVALSHA, SCRIPT LOAD|EXISTS|FLUSH
constexpr bool kExpireOptions = true;  // EXPIRE/PEXPIRE key n NX|XX|GT|LT (new in 7.0)

// At least this many random sequences per run, whatever RC_PARAMS says (CI
// sets only a seed there; a larger max_success there still wins).
constexpr int kMinSequences = 500;
constexpr int kMaxCommands = 30;     // per sequence, at RapidCheck's largest size
constexpr int kMinMaxCommands = 10;  // the cap at the smallest size

// Real time passes between the two sides' readings of the clock.
constexpr std::int64_t kPttlToleranceMs = 1000;
constexpr std::int64_t kTtlToleranceS = 1;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using test_support::quoted;

// ------------------------------------------------------------------ scripts

struct Script {
  const char* body;
  const char* sha1;  // checked against the real server by ScriptShasAreRight
};

// Lock release: delete only if the token is still ours.
constexpr Script kCompareAndDelete = {
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end",
    "e9f69f2beb755be68b5e456ee2ce9aadfbc4ebf4"};
// Lock extension: PEXPIRE only if the token is still ours.
constexpr Script kCompareAndPexpire = {
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], "
    "ARGV[2]) else return 0 end",
    "9136fcf51831e5cf49f109b6e9c97d5b675280d6"};
// Acquire with a fencing token: SET NX PX, then INCR a counter.
constexpr Script kAcquireWithFence = {
    "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return "
    "redis.call('incr', KEYS[2]) else return false end",
    "89ac702e312617ee422c3eabfccbf72fda44e367"};
// redis.call raising (on a non-integer): the error names the script.
constexpr Script kIncr = {"return redis.call('incr', KEYS[1])",
                          "2bab3b661081db58bd2341920e0ba7cf5dc77b25"};
// redis.pcall returning the error as a value.
constexpr Script kPcallIncr = {"return redis.pcall('incr', KEYS[1])",
                               "a1af9350bf447ef6853cda67ddf7eaca382904bc"};
// nil bulk -> false -> nil bulk.
constexpr Script kGet = {"return redis.call('get', KEYS[1])",
                         "4e6d8fc8bb01276962cce5371fa795a7763657ae"};
// Lua -> RESP conversions: table, number truncation, false as nil.
constexpr Script kTable = {
    "return {KEYS[1], ARGV[1], 3.7, redis.call('exists', KEYS[1]), false, 'end'}",
    "b80e6444c2cb71ac3d7daddbb65750654c03de15"};

constexpr Script kScripts[] = {
    kCompareAndDelete, kCompareAndPexpire, kAcquireWithFence, kIncr, kPcallIncr, kGet, kTable};
constexpr const char* kUnknownSha = "ffffffffffffffffffffffffffffffffffffffff";

// ------------------------------------------------------------------ commands

// One argument of a generated command: a literal, or an absolute time
// resolved when the sequence runs (base time + offset, in ms or in s).
struct Arg {
  enum class Kind : std::uint8_t { literal, unix_ms, unix_s };
  Kind kind = Kind::literal;
  std::string text;
  std::int64_t offset = 0;

  std::string resolve(std::int64_t base_ms) const {
    switch (kind) {
      case Kind::unix_ms:
        return std::to_string(base_ms + offset);
      case Kind::unix_s:
        return std::to_string(base_ms / 1000 + offset);
      case Kind::literal:
        break;
    }
    return text;
  }
};

struct Command {
  std::vector<Arg> args;

  Argv resolve(std::int64_t base_ms) const {
    Argv argv;
    for (const auto& a : args) argv.push_back(a.resolve(base_ms));
    return argv;
  }
};

std::ostream& operator<<(std::ostream& os, const Arg& a) {
  switch (a.kind) {
    case Arg::Kind::unix_ms:
      return os << "<now_ms" << (a.offset < 0 ? "" : "+") << a.offset << ">";
    case Arg::Kind::unix_s:
      return os << "<now_s" << (a.offset < 0 ? "" : "+") << a.offset << ">";
    case Arg::Kind::literal:
      break;
  }
  return os << '"' << a.text << '"';
}

std::ostream& operator<<(std::ostream& os, const Command& c) {
  for (std::size_t i = 0; i < c.args.size(); ++i) os << (i == 0 ? "" : " ") << c.args[i];
  return os;
}

Arg lit(std::string s) { return {Arg::Kind::literal, std::move(s), 0}; }
Arg lit(std::int64_t n) { return lit(std::to_string(n)); }
Arg at_ms(std::int64_t offset) { return {Arg::Kind::unix_ms, {}, offset}; }
Arg at_s(std::int64_t offset) { return {Arg::Kind::unix_s, {}, offset}; }

// ---------------------------------------------------------------- generators

// A command or option name as a client might spell it.
rc::Gen<std::string> spelled(std::string upper) {
  std::string lower = upper;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string capital = lower;
  capital[0] = upper[0];
  std::string odd = upper;
  for (std::size_t i = 1; i < odd.size(); i += 2) odd[i] = lower[i];
  return rc::gen::weightedOneOf<std::string>({{6, rc::gen::just(upper)},
                                              {2, rc::gen::just(lower)},
                                              {1, rc::gen::just(capital)},
                                              {1, rc::gen::just(odd)}});
}

rc::Gen<std::string> key() { return rc::gen::element<std::string>("k0", "k1", "k2", "k3"); }

rc::Gen<std::string> value() {
  return rc::gen::weightedOneOf<std::string>({
      {6, rc::gen::element<std::string>("v0", "v1", "v2", "v3")},
      {4, rc::gen::element<std::string>("0", "1", "41", "-3", "9223372036854775807")},
      {1, rc::gen::element<std::string>("9223372036854775806", "-9223372036854775808",
                                        "18446744073709551615", "01", "-0", "+1", " 1", "1.5", "",
                                        "abc")},
  });
}

// Seconds and milliseconds long enough that no key expires by itself during
// a run, and offsets from the base time for absolute expiry.
rc::Gen<std::int64_t> ttl_s() { return rc::gen::inRange<std::int64_t>(5, 601); }
rc::Gen<std::int64_t> ttl_ms() { return rc::gen::inRange<std::int64_t>(5000, 600001); }

// One SET option with its value, if it takes one; sometimes invalid.
rc::Gen<std::vector<Arg>> set_option() {
  using V = std::vector<Arg>;
  auto word = [](const char* w) {
    return rc::gen::map(spelled(w), [](std::string s) { return V{lit(std::move(s))}; });
  };
  return rc::gen::weightedOneOf<V>({
      {4, word("NX")},
      {3, word("XX")},
      {3, word("GET")},
      {2, word("KEEPTTL")},
      {4, rc::gen::exec([] {
         return V{lit(*spelled("PX")), lit(*ttl_ms())};
       })},
      {4, rc::gen::exec([] {
         return V{lit(*spelled("EX")), lit(*ttl_s())};
       })},
      {2, rc::gen::exec([] {
         return V{lit(*spelled("PXAT")), at_ms(*ttl_ms())};
       })},
      {2, rc::gen::exec([] {
         return V{lit(*spelled("EXAT")), at_s(*ttl_s())};
       })},
      // Absolute times already past: the key is set and at once expired.
      {1, rc::gen::exec([] {
         return V{lit("PXAT"), at_ms(-*ttl_ms())};
       })},
      {1, rc::gen::exec([] {
         return V{lit("EXAT"), at_s(-*ttl_s())};
       })},
      // Invalid expiry values.
      {1, rc::gen::exec([] {
         return V{lit(*rc::gen::element<std::string>("PX", "EX")),
                  lit(*rc::gen::element<std::string>(
                      "0", "-5", "abc", "1.5", "", "9223372036854775807", "-9223372036854775808"))};
       })},
      {1, rc::gen::exec([] {
         return V{lit(*rc::gen::element<std::string>("PXAT", "EXAT")),
                  lit(*rc::gen::element<std::string>("0", "-1", "abc"))};
       })},
      // Bad option names, and options missing their value (when last).
      {1, rc::gen::map(rc::gen::element<std::string>("FOO", "PXX", "NXX", "EXPIRE", "PERSIST"),
                       [](std::string s) { return V{lit(std::move(s))}; })},
      {1, rc::gen::map(rc::gen::element<std::string>("PX", "EX", "PXAT", "EXAT"),
                       [](std::string s) { return V{lit(std::move(s))}; })},
  });
}

rc::Gen<Command> set_command() {
  return rc::gen::exec([] {
    Command c{{lit(*spelled("SET")), lit(*key()), lit(*value())}};
    const auto options = *rc::gen::container<std::vector<std::vector<Arg>>>(
        *rc::gen::weightedElement<std::size_t>({{3, 0}, {5, 1}, {3, 2}, {1, 3}}), set_option());
    for (const auto& o : options) c.args.insert(c.args.end(), o.begin(), o.end());
    return c;
  });
}

rc::Gen<Command> keys_command(const char* name, int max_keys) {
  return rc::gen::exec([name, max_keys] {
    Command c{{lit(*spelled(name))}};
    const auto keys = *rc::gen::container<std::vector<std::string>>(
        *rc::gen::inRange<std::size_t>(1, static_cast<std::size_t>(max_keys) + 1), key());
    for (const auto& k : keys) c.args.push_back(lit(k));
    return c;
  });
}

rc::Gen<Command> expire_command() {
  return rc::gen::exec([] {
    const bool millis = *rc::gen::arbitrary<bool>();
    Command c{{lit(*spelled(millis ? "PEXPIRE" : "EXPIRE")), lit(*key())}};
    c.args.push_back(*rc::gen::weightedOneOf<Arg>({
        {8, rc::gen::map(millis ? ttl_ms() : ttl_s(), [](std::int64_t n) { return lit(n); })},
        {2, rc::gen::map(rc::gen::element<std::string>("0", "-1", "-100"),
                         [](std::string s) { return lit(std::move(s)); })},
        {1, rc::gen::map(rc::gen::element<std::string>("abc", "1.5", "", "9223372036854775807",
                                                       "9223372036854775", "-9223372036854775808",
                                                       "-9223372036854775"),
                         [](std::string s) { return lit(std::move(s)); })},
    }));
    if (kExpireOptions) {
      const auto options = *rc::gen::container<std::vector<std::string>>(
          *rc::gen::weightedElement<std::size_t>({{8, 0}, {4, 1}, {1, 2}}),
          rc::gen::weightedOneOf<std::string>(
              {{6, rc::gen::element<std::string>("NX", "XX", "GT", "LT", "nx", "gt")},
               {1, rc::gen::element<std::string>("FOO", "1")}}));
      for (const auto& o : options) c.args.push_back(lit(o));
    }
    return c;
  });
}

rc::Gen<Command> one_key_command(const char* name) {
  return rc::gen::exec([name] { return Command{{lit(*spelled(name)), lit(*key())}}; });
}

// A command that does not exist, with a few arguments.
rc::Gen<Command> unknown_command() {
  return rc::gen::exec([] {
    Command c{{lit(*rc::gen::element<std::string>("NOSUCHCMD", "GETT", "lockit", "Sett"))}};
    const auto args = *rc::gen::container<std::vector<std::string>>(
        *rc::gen::inRange<std::size_t>(0, 4),
        rc::gen::weightedOneOf<std::string>(
            {{4, key()},
             {4, value()},
             // Redis quotes at most ~128 characters of them, and CR/LF as spaces.
             {1, rc::gen::element<std::string>(std::string(150, 'x'), "a\r\nb")}}));
    for (const auto& a : args) c.args.push_back(lit(a));
    return c;
  });
}

// A command with a wrong number of arguments (Redis's arity table).
rc::Gen<Command> wrong_arity_command() {
  struct Arity {
    const char* name;
    int arity;  // n: exactly n; -n: at least n (argv[0] included)
    bool scripting;
  };
  static constexpr Arity kArities[] = {
      {"GET", 2, false},     {"SET", -3, false},    {"SETNX", 3, false},    {"DEL", -2, false},
      {"EXISTS", -2, false}, {"EXPIRE", -3, false}, {"PEXPIRE", -3, false}, {"PTTL", 2, false},
      {"TTL", 2, false},     {"INCR", 2, false},    {"EVAL", -3, true},     {"EVALSHA", -3, true},
      {"SCRIPT", -2, true},
  };
  return rc::gen::exec([] {
    std::vector<Arity> usable;
    for (const auto& a : kArities) {
      if (kScripting || !a.scripting) usable.push_back(a);
    }
    const Arity a = *rc::gen::elementOf(usable);
    std::vector<std::size_t> wrong;  // argument counts, argv[0] included
    if (a.arity > 0) {
      wrong = {static_cast<std::size_t>(a.arity - 1), static_cast<std::size_t>(a.arity + 1)};
    } else {
      for (int n = 1; n < -a.arity; ++n) wrong.push_back(static_cast<std::size_t>(n));
    }
    const std::size_t argc = *rc::gen::elementOf(wrong);
    Command c{{lit(*spelled(a.name))}};
    while (c.args.size() < argc) c.args.push_back(lit(*rc::gen::oneOf(key(), value())));
    return c;
  });
}

rc::Gen<Command> ping_command() {
  return rc::gen::exec([] {
    Command c{{lit(*spelled("PING"))}};
    const auto args = *rc::gen::container<std::vector<std::string>>(
        *rc::gen::weightedElement<std::size_t>({{3, 0}, {3, 1}, {1, 2}}), value());
    for (const auto& a : args) c.args.push_back(lit(a));
    return c;
  });
}

// The keys and arguments a script is called with, by its shape.
std::vector<Arg> script_keys_and_args(const Script& s) {
  std::vector<Arg> out;
  const std::string body = s.body;
  if (body == kCompareAndDelete.body) {
    out = {lit("1"), lit(*key()), lit(*value())};
  } else if (body == kCompareAndPexpire.body) {
    out = {lit("1"), lit(*key()), lit(*value()),
           *rc::gen::weightedOneOf<Arg>(
               {{8, rc::gen::map(ttl_ms(), [](std::int64_t n) { return lit(n); })},
                {1, rc::gen::map(rc::gen::element<std::string>("0", "-1", "abc"),
                                 [](std::string v) { return lit(std::move(v)); })}})};
  } else if (body == kAcquireWithFence.body) {
    out = {lit("2"), lit(*key()), lit(*key()), lit(*value()), lit(*ttl_ms())};
  } else if (body == kTable.body) {
    out = {lit("1"), lit(*key()), lit(*value())};
  } else {
    out = {lit("1"), lit(*key())};
  }
  return out;
}

rc::Gen<Command> eval_command() {
  return rc::gen::exec([] {
    const Script& s =
        *rc::gen::elementOf(std::vector<Script>(std::begin(kScripts), std::end(kScripts)));
    const bool by_sha = *rc::gen::weightedElement<bool>({{2, false}, {1, true}});
    Command c;
    if (by_sha) {
      std::string sha = s.sha1;
      if (*rc::gen::weightedElement<int>({{4, 0}, {1, 1}}) == 1) {
        std::transform(sha.begin(), sha.end(), sha.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      }
      c.args = {lit(*spelled("EVALSHA")), lit(sha)};
    } else {
      c.args = {lit(*spelled("EVAL")), lit(s.body)};
    }
    const auto rest = script_keys_and_args(s);
    c.args.insert(c.args.end(), rest.begin(), rest.end());
    return c;
  });
}

rc::Gen<Command> bad_eval_command() {
  return rc::gen::exec([] {
    const auto kind = *rc::gen::inRange(0, 5);
    switch (kind) {
      case 0:  // unknown SHA, of the right length or not
        return Command{
            {lit("EVALSHA"), lit(*rc::gen::element<std::string>(kUnknownSha, "abc")), lit("0")}};
      case 1:  // numkeys negative, too large, not a number
        return Command{{lit("EVAL"), lit(kGet.body),
                        lit(*rc::gen::element<std::string>("-1", "3", "x", "1.5")), lit(*key())}};
      case 2:
        return Command{{lit("EVALSHA"), lit(kGet.sha1),
                        lit(*rc::gen::element<std::string>("-1", "3", "x")), lit(*key())}};
      case 3:  // does not compile
        return Command{{lit("EVAL"), lit("retur 1"), lit("0")}};
      default:  // errors raised and returned, status replies, the sandbox
        return Command{
            {lit("EVAL"),
             lit(*rc::gen::element<std::string>(
                 "return redis.error_reply('MY failure')", "return redis.status_reply('FINE')",
                 "error('boom')", "error({err='ERR custom'})", "return redis.call('nosuch')",
                 "return redis.call('get')", "x = 1", "return os.time()")),
             lit("0")}};
    }
  });
}

rc::Gen<Command> script_command() {
  return rc::gen::exec([] {
    Command c{{lit(*spelled("SCRIPT"))}};
    const auto kind = *rc::gen::weightedElement<int>({{4, 0}, {4, 1}, {1, 2}, {1, 3}});
    std::vector<Script> scripts(std::begin(kScripts), std::end(kScripts));
    if (kind == 0) {
      c.args.push_back(lit(*spelled("LOAD")));
      c.args.push_back(lit((*rc::gen::elementOf(scripts)).body));
    } else if (kind == 1) {
      c.args.push_back(lit(*spelled("EXISTS")));
      const auto n = *rc::gen::inRange<std::size_t>(1, 4);
      for (std::size_t i = 0; i < n; ++i) {
        if (*rc::gen::weightedElement<int>({{4, 0}, {1, 1}}) == 1) {
          c.args.push_back(lit(kUnknownSha));
        } else {
          c.args.push_back(lit((*rc::gen::elementOf(scripts)).sha1));
        }
      }
    } else if (kind == 2) {
      c.args.push_back(lit(*spelled("FLUSH")));
      const auto modes = *rc::gen::weightedOneOf<std::vector<std::string>>({
          {2, rc::gen::just(std::vector<std::string>{})},
          {3, rc::gen::container<std::vector<std::string>>(
                  1, rc::gen::element<std::string>("SYNC", "ASYNC", "async", "NOW"))},
          {1, rc::gen::container<std::vector<std::string>>(
                  2, rc::gen::element<std::string>("SYNC", "ASYNC", "x"))},
      });
      for (const auto& m : modes) c.args.push_back(lit(m));
    } else {
      c.args.push_back(lit(*rc::gen::element<std::string>("FOO", "KILL-IT")));
    }
    return c;
  });
}

rc::Gen<Command> command() {
  constexpr std::size_t kScriptWeight = kScripting ? 1 : 0;  // (weight 0: never picked)
  return rc::gen::weightedOneOf<Command>({
      {14, set_command()},
      {3, rc::gen::exec([] {
         return Command{{lit(*spelled("SETNX")), lit(*key()), lit(*value())}};
       })},
      {8, one_key_command("GET")},
      {4, keys_command("DEL", 3)},
      {4, keys_command("EXISTS", 4)},
      {6, expire_command()},
      {3, one_key_command("PTTL")},
      {3, one_key_command("TTL")},
      {6, one_key_command("INCR")},
      {1, ping_command()},
      {1, unknown_command()},
      {2, wrong_arity_command()},
      {6 * kScriptWeight, eval_command()},
      {1 * kScriptWeight, bad_eval_command()},
      {2 * kScriptWeight, script_command()},
  });
}

// RapidCheck's size sets the sequence's length (up to kMaxCommands); each
// command is generated at full size, since gen::inRange draws from only the
// first size% of its range.
rc::Gen<std::vector<Command>> sequence() {
  return rc::gen::withSize([](int size) {
    const int length =
        kMinMaxCommands + std::min(size, 100) * (kMaxCommands - kMinMaxCommands) / 100;
    return rc::gen::resize(
        length, rc::gen::container<std::vector<Command>>(rc::gen::resize(100, command())));
  });
}

// ------------------------------------------------------------------ compare

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

bool same_reply(const Argv& argv, const Reply& real, const Reply& simulated) {
  const std::string name = argv.empty() ? "" : upper(argv[0]);
  const bool ttl = name == "TTL" || name == "PTTL";
  if (ttl && argv.size() == 2 && real.type == ReplyType::integer &&
      simulated.type == ReplyType::integer && real.integer >= 0 && simulated.integer >= 0) {
    const auto tolerance = name == "PTTL" ? kPttlToleranceMs : kTtlToleranceS;
    return std::llabs(real.integer - simulated.integer) <= tolerance;
  }
  return real == simulated;
}

// EXPIRE/PEXPIRE ... GT|LT compares the new expiry time with the key's. When
// the two are a few ms apart (EX 60, then EXPIRE 60 GT a millisecond later),
// which is larger depends on the millisecond each side's clock read, and
// either answer is right; the two sides' TTLs then differ by those few ms,
// well within the PTTL tolerance. Looked at before the Engine runs the command.
bool expiry_comparison_too_close(const Argv& argv, const Engine& engine, std::int64_t now_ms) {
  constexpr std::int64_t kWindowMs = 10;
  if (argv.size() < 4) return false;
  const std::string name = upper(argv[0]);
  if (name != "EXPIRE" && name != "PEXPIRE") return false;
  if (std::none_of(argv.begin() + 3, argv.end(),
                   [](const std::string& o) { return upper(o) == "GT" || upper(o) == "LT"; })) {
    return false;
  }
  std::int64_t amount = 0;
  const auto& text = argv[2];
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (error != std::errc{} || end != text.data() + text.size()) return false;
  if (amount < 0 || amount > 1'000'000'000) return false;  // (no overflow below)
  const auto key = engine.keys().find(argv[1]);
  if (key == engine.keys().end() || !key->second.expires_at_ms) return false;
  const std::int64_t wanted = now_ms + amount * (name == "EXPIRE" ? 1000 : 1);
  return std::llabs(*key->second.expires_at_ms - wanted) <= kWindowMs;
}

// Starts each sequence from empty, on both sides.
void reset(RedisClient& client) {
  for (const Argv& argv : {Argv{"FLUSHALL"}, Argv{"SCRIPT", "FLUSH"}}) {
    const Reply r = client.command(argv);
    if (r != Reply::ok()) {
      throw RedisClientError(quoted(argv) + " on the real server answered " + to_display(r));
    }
  }
}

// What the run exercised, printed at the end: how many commands, and how often
// the real server answered each error text (errors are where fidelity is
// most often lost).
struct Coverage {
  std::size_t sequences = 0;
  std::size_t commands = 0;
  std::map<std::string, std::size_t> errors;

  void print(std::ostream& os) const {
    os << "compared " << commands << " commands in " << sequences << " sequences; errors seen:\n";
    for (const auto& [text, count] : errors) os << fmt::format("  {:6}  {}\n", count, text);
  }
};

// The error text without what varies (a script's SHA, an unknown command's
// name and arguments), to count kinds of errors.
std::string error_kind(const std::string& text) {
  const auto cut = text.find_first_of("'\"");
  const auto script = text.find(" script: ");
  return text.substr(0, std::min(cut, script)) +
         (script == std::string::npos ? "" : " [from a script]");
}

void run_and_compare(RedisClient& client, const std::vector<Command>& commands,
                     std::optional<std::string>& infrastructure_error, Coverage& coverage) {
  try {
    reset(client);
  } catch (const RedisClientError& e) {
    infrastructure_error = e.what();
    RC_FAIL(std::string("real server: ") + e.what());
  }
  Engine engine;
  const std::int64_t base_ms = wall_ms();
  std::string history;
  for (const auto& command : commands) {
    const Argv argv = command.resolve(base_ms);
    const std::int64_t now_ms = wall_ms();
    Reply real;
    try {
      real = client.command(argv);
    } catch (const RedisClientError& e) {
      infrastructure_error = e.what();
      RC_FAIL(std::string("real server: ") + e.what());
    }
    const bool either = expiry_comparison_too_close(argv, engine, now_ms);
    const Reply simulated = engine.execute(argv, now_ms);
    const bool both_0_or_1 = real.type == ReplyType::integer &&
                             simulated.type == ReplyType::integer && real.integer >= 0 &&
                             real.integer <= 1 && simulated.integer >= 0 && simulated.integer <= 1;
    if (!same_reply(argv, real, simulated) && !(either && both_0_or_1)) {
      RC_FAIL(fmt::format(
          "replies differ for {}\n  redis-server: {}\n  Engine:       {}\nsequence before it "
          "(with redis-server's replies; base time {} ms):\n{}",
          quoted(argv), to_display(real), to_display(simulated), base_ms,
          history.empty() ? "  (none)\n" : history));
    }
    history += fmt::format("  {}  ->  {}\n", quoted(argv), to_display(real));
    ++coverage.commands;
    if (real.is_error()) ++coverage.errors[error_kind(real.str)];
  }
  ++coverage.sequences;
}

// Runs a property as RC_GTEST_PROP does, but at least `min_success` times:
// RC_PARAMS (the global configuration) may raise the count, never lower it;
// its seed and reproduce= strings still apply.
template <typename Testable>
void check_at_least(int min_success, Testable&& testable) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::max(params.maxSuccess, min_success);
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (result.template is<rc::detail::SuccessResult>()) {
    const auto& success = result.template get<rc::detail::SuccessResult>();
    EXPECT_GE(success.numSuccess, min_success);
    std::cout << "RapidCheck: " << success.numSuccess << " sequences passed\n";
  } else {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
  }
}

TEST(RedisDifferential, RandomSequencesGetRedisReplies) {
  RedisServer server;
  RedisClient client(server);
  std::optional<std::string> infrastructure_error;
  Coverage coverage;
  const auto started = std::chrono::steady_clock::now();
  check_at_least(kMinSequences, [&] {
    const auto commands = *sequence();
    run_and_compare(client, commands, infrastructure_error, coverage);
  });
  ASSERT_FALSE(infrastructure_error.has_value())
      << "the real redis-server failed during the run (not an Engine mismatch): "
      << *infrastructure_error << "\nserver log:\n"
      << server.log();
  coverage.print(std::cout);
  std::cout << "took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms (shrinking included)\n";
}

// ------------------------------------------------------- pinned error texts

// A real server and an Engine side by side, for the plain TESTs.
class RedisAndEngine : public ::testing::Test {
 protected:
  // `argv` must get `expected` from both.
  void expect(const Argv& argv, const Reply& expected) {
    const std::int64_t now_ms = wall_ms();
    const Reply real = client_.command(argv);
    const Reply simulated = engine_.execute(argv, now_ms);
    EXPECT_TRUE(real == expected) << quoted(argv) << "\n  redis-server: " << to_display(real)
                                  << "\n  expected:     " << to_display(expected);
    EXPECT_TRUE(simulated == expected) << quoted(argv) << "\n  Engine:   " << to_display(simulated)
                                       << "\n  expected: " << to_display(expected);
  }

  RedisServer server_;
  RedisClient client_{server_};
  Engine engine_;
};

TEST_F(RedisAndEngine, EvalshaOfAnUnknownScript) {
  expect({"EVALSHA", kUnknownSha, "0"},
         Reply::error("NOSCRIPT No matching script. Please use EVAL."));
}

TEST_F(RedisAndEngine, SetNxXxIsASyntaxError) {
  expect({"SET", "k", "v", "NX", "XX"}, Reply::error("ERR syntax error"));
  expect({"GET", "k"}, Reply::nil());
}

TEST_F(RedisAndEngine, SetPxZeroOrNegativeIsAnInvalidExpireTime) {
  expect({"SET", "k", "v", "PX", "0"}, Reply::error("ERR invalid expire time in 'set' command"));
  expect({"SET", "k", "v", "PX", "-5"}, Reply::error("ERR invalid expire time in 'set' command"));
  expect({"EXISTS", "k"}, Reply::integer_reply(0));
}

TEST_F(RedisAndEngine, IncrOfANonInteger) {
  expect({"SET", "k", "abc"}, Reply::ok());
  expect({"INCR", "k"}, Reply::error("ERR value is not an integer or out of range"));
  expect({"SET", "n", "9223372036854775807"}, Reply::ok());
  expect({"INCR", "n"}, Reply::error("ERR increment or decrement would overflow"));
  expect({"INCR", "missing"}, Reply::integer_reply(1));
}

TEST_F(RedisAndEngine, PttlOfAMissingKeyAndOfAKeyWithoutTtl) {
  expect({"PTTL", "missing"}, Reply::integer_reply(-2));
  expect({"TTL", "missing"}, Reply::integer_reply(-2));
  expect({"SET", "k", "v"}, Reply::ok());
  expect({"PTTL", "k"}, Reply::integer_reply(-1));
  expect({"TTL", "k"}, Reply::integer_reply(-1));
}

// Redis 7.0 allows NX together with GET (6.2 did not).
TEST_F(RedisAndEngine, SetNxGetIsAllowed) {
  expect({"SET", "k", "v1", "NX", "GET"}, Reply::nil());
  expect({"SET", "k", "v2", "NX", "GET"}, Reply::bulk("v1"));
  expect({"GET", "k"}, Reply::bulk("v1"));
}

// script|flush takes any number of arguments (arity -2); more than one option
// is the option error, not an arity error.
TEST_F(RedisAndEngine, ScriptFlushOptions) {
  expect({"SCRIPT", "FLUSH"}, Reply::ok());
  expect({"SCRIPT", "FLUSH", "async"}, Reply::ok());
  expect({"SCRIPT", "FLUSH", "NOW"},
         Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
  expect({"SCRIPT", "FLUSH", "SYNC", "ASYNC"},
         Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
}

TEST_F(RedisAndEngine, WrongArityAndUnknownCommands) {
  expect({"GET"}, Reply::error("ERR wrong number of arguments for 'get' command"));
  expect({"set", "k"}, Reply::error("ERR wrong number of arguments for 'set' command"));
  expect({"PING", "a", "b"}, Reply::error("ERR wrong number of arguments for 'ping' command"));
  expect({"Foo", "a", "b"},
         Reply::error("ERR unknown command 'Foo', with args beginning with: 'a' 'b' "));
}

// A real redis-server reloading its dataset (DEBUG RELOAD, slowed down by
// key-load-delay to about a second) answers as an Engine set loading: LOADING
// for every command the simulator implements, PING included, and the errors
// Redis finds before it looks at loading (unknown command or subcommand,
// arity) first. WAIT and REPLICAOF, the simulated server's own, too.
TEST(RedisDifferentialLoading, LoadingNodeRefusesWhatRedisRefuses) {
  using namespace std::chrono_literals;
  RedisServer server({.extra_args = {"--enable-debug-command", "yes"}});
  RedisClient client(server);
  ASSERT_TRUE(client.command({"DEBUG", "POPULATE", "5000", "key", "100"}) == Reply::ok());
  ASSERT_TRUE(client.command({"CONFIG", "SET", "key-load-delay", "100"}) == Reply::ok());
  // Clients are served every 1 KiB of the image while loading.
  ASSERT_TRUE(client.command({"CONFIG", "SET", "loading-process-events-interval-bytes", "1024"}) ==
              Reply::ok());
  const Reply loading = Reply::error(std::string(kLoadingError));
  std::string reloaded;
  {
    std::jthread reload([&] {
      try {
        RedisClient slow(server, 60s);
        reloaded = to_display(slow.command({"DEBUG", "RELOAD"}));
      } catch (const std::exception& e) {
        reloaded = e.what();
      }
    });
    bool started = false;  // DEBUG RELOAD saves the image first
    for (int i = 0; i < 500 && !started; ++i) {
      started = client.command({"PING"}) == loading;
      if (!started) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(started) << "redis-server never answered LOADING during DEBUG RELOAD";
    Engine engine;
    engine.set_loading(true);
    const std::vector<Argv> cases = {
        {"PING"}, {"PING", "a", "b"}, {"SET", "k", "v"}, {"SET", "k", "v", "NX", "XX"},
        {"SETNX", "k", "v"}, {"GET", "key:1"}, {"GET"}, {"DEL", "k"}, {"EXISTS", "k"},
        {"EXPIRE", "k", "10"}, {"PEXPIRE", "k", "10"}, {"PEXPIREAT", "k", "1"}, {"PTTL", "k"},
        {"TTL", "k"}, {"INCR", "k"}, {"EVAL", "return 1", "0"}, {"EVALSHA", kUnknownSha, "0"},
        {"SCRIPT"}, {"SCRIPT", "LOAD", "return 1"}, {"SCRIPT", "LOAD"},
        {"SCRIPT", "EXISTS", kUnknownSha}, {"SCRIPT", "EXISTS"}, {"SCRIPT", "FLUSH", "LATER"},
        {"SCRIPT", "NOPE"}, {"NOPE", "a"}};
    for (const Argv& argv : cases) {
      const Reply real = client.command(argv);
      const Reply simulated = engine.execute(argv, wall_ms());
      EXPECT_TRUE(real == simulated) << quoted(argv) << "\n  redis-server: " << to_display(real)
                                     << "\n  Engine:       " << to_display(simulated);
    }
    EXPECT_TRUE(client.command({"WAIT", "0", "0"}) == loading);
    EXPECT_TRUE(client.command({"REPLICAOF", "NO", "ONE"}) == loading);
    EXPECT_TRUE(client.command({"PING"}) == loading)
        << "the load ended before the comparisons did: nothing above was compared while loading";
  }
  EXPECT_EQ(reloaded, "OK");
  const Reply kept = client.command({"GET", "key:1"});  // "value:1", zero-padded to 100 bytes
  EXPECT_TRUE(kept.type == ReplyType::bulk && kept.str.starts_with("value:1")) << to_display(kept);
}

// The SHA1s the generators use for EVALSHA are the ones Redis computes.
TEST(RedisDifferentialSetup, ScriptShasAreRight) {
  RedisServer server;
  RedisClient client(server);
  for (const auto& s : kScripts) {
    const Reply sha = client.command({"SCRIPT", "LOAD", s.body});
    EXPECT_TRUE(sha == Reply::bulk(s.sha1))
        << s.body << "\n  redis-server: " << to_display(sha) << "\n  in the test:  " << s.sha1;
  }
}

// The support code: a server that comes up, answers, and goes away cleanly.
TEST(RedisDifferentialSetup, ServerStartsAnswersAndStops) {
  std::filesystem::path dir;
  pid_t pid = -1;
  {
    RedisServer server;
    dir = server.dir();
    pid = server.pid();
    EXPECT_TRUE(server.running());
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    RedisClient client(server);
    EXPECT_TRUE(client.command({"PING"}) == Reply::status("PONG"));
    EXPECT_TRUE(client.command({"SET", "k", "v"}) == Reply::ok());
    EXPECT_TRUE(client.command({"GET", "k"}) == Reply::bulk("v"));
    server.stop();
    EXPECT_FALSE(server.running());
    EXPECT_THROW(client.command({"PING"}), RedisClientError);
    EXPECT_THROW(client.command({"PING"}), RedisClientError);  // and stays unusable
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_NE(::kill(pid, 0), 0) << "the redis-server child is still there";
  EXPECT_THROW(RedisClient("127.0.0.1", 1, std::chrono::milliseconds{500}), RedisClientError);
}

// A server that cannot start says why, with its log.
TEST(RedisDifferentialSetup, ServerThatCannotStartReportsItsLog) {
  try {
    RedisServer server({.extra_args = {"--no-such-option", "x"}});
    ADD_FAILURE() << "redis-server started with an unknown option";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-option"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace locklab::sim::redis
