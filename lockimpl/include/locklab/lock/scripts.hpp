// locklab/lock/scripts.hpp — the Lua scripts the locks run on Redis, with
// their SHA1 digests for EVALSHA.
//
// Provides Script (text + digest) and the four scripts: compare-and-delete
// (release), compare-and-pexpire (extend), SET NX PX + INCR of the fencing
// counter in one atomic step (fenced acquire), and raise-the-counter (a max
// register, for RedLock's fencing tokens; see docs/locks.md). The digests are
// constants, checked by a test against the SHA1 a Redis node computes, so no
// SHA1 code is needed here.
//
// Scripts are sent with EVALSHA; a node that answers NOSCRIPT (its script
// cache is empty after a restart) gets the same request again as EVAL, which
// also caches the script there.
#pragma once

#include <string_view>

namespace locklab::lock {

struct Script {
  std::string_view text{};
  std::string_view sha1{};
};

namespace scripts {

// KEYS[1] lock key, ARGV[1] token → 1 if deleted, 0 if not ours.
inline constexpr Script release{
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
    "else return 0 end",
    "d02e481a9c91ceec59c5822a58a49d5d5d7ac80b"};

// KEYS[1] lock key, ARGV[1] token, ARGV[2] ttl ms → 1 if renewed, 0 if not ours.
inline constexpr Script extend{
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], "
    "ARGV[2]) else return 0 end",
    "3c47f94dc28d90f47ce03eabe2ebe59e85e54bf1"};

// KEYS[1] lock key, KEYS[2] fencing counter, ARGV[1] token, ARGV[2] ttl ms →
// the new counter value if the lock was set, nil if it is taken.
inline constexpr Script fenced_acquire{
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return "
    "redis.call('INCR', KEYS[2]) else return false end",
    "7d962846a562b81de3c7344853e93bdaf27792f1"};

// KEYS[1] fencing counter, ARGV[1] token → the counter after raising it to at
// least ARGV[1].
inline constexpr Script raise_counter{
    "local c = tonumber(redis.call('GET', KEYS[1]) or '0') if c < tonumber(ARGV[1]) then "
    "redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end return c",
    "19dfe37a27993764841737774621bcd3504a7683"};

}  // namespace scripts
}  // namespace locklab::lock
