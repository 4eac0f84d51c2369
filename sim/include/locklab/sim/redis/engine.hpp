// locklab/sim/redis/engine.hpp — what one Redis node does with a command.
//
// Provides Engine: a keyspace with per-key expiry and the commands locklab's
// algorithms (and applications embedding the simulator) use, answering with
// the same replies and error texts as redis-server 7.0:
//   PING, SET key value [NX|XX] [GET] [PX ms|EX s|PXAT ms|EXAT s|KEEPTTL],
//   SETNX, GET, DEL, EXISTS, EXPIRE, PEXPIRE, PTTL, TTL, INCR,
//   EVAL, EVALSHA, SCRIPT LOAD|EXISTS|FLUSH.
// The engine is pure: no fibers, no network, no clock of its own. Every call
// takes the node's wall-clock reading in milliseconds (`now_ms`), which the
// simulated server takes from its process clock, and by which keys expire —
// lazily on access and by active_expire_cycle(), as Redis does. WAIT and
// replication live in the server, not here. While the server loads its data
// after a start (set_loading), every command is refused with LOADING, after
// the checks Redis makes first.
//
// Writes are reported to an observer as the commands that reproduce them
// (SET with an absolute PXAT, DEL, PEXPIREAT, ...), which is what the AOF and
// the replication stream carry.
//
//   Engine node;
//   Reply r = node.execute({"SET", "lock", "token", "NX", "PX", "10000"}, now_ms);
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/redis/resp.hpp"

namespace locklab::sim::redis {

class ScriptEngine;

// Redis 7.0's reply to a command it refuses while loading (shared.loadingerr
// in src/server.c), without the leading '-'.
inline constexpr std::string_view kLoadingError = "LOADING Redis is loading the dataset in memory";

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one command at the node's wall-clock time `now_ms`.
  Reply execute(const Argv& argv, std::int64_t now_ms);

  // A write from the master's replication stream: accepted on a replica.
  Reply apply_replicated(const Argv& argv, std::int64_t now_ms);

  // A write replayed from the node's own AOF at its start. Nothing expires
  // while loading, as in Redis (keyIsExpired and checkAlreadyExpired return
  // "not expired" while server.loading): a key whose first expiry passed
  // while the node was down but which a later PEXPIREAT extended is loaded
  // with its last expiry, not lost; one still past expires after the load.
  Reply replay_persisted(const Argv& argv, std::int64_t now_ms);

  // Deletes expired keys (Redis's active expiry cycle); returns how many.
  std::size_t active_expire_cycle(std::int64_t now_ms);

  // A write, as the command that replays it exactly. The command is built
  // only when asked for: a node with neither an AOF nor replicas only counts
  // its writes, and building an Argv per write showed in the profile.
  class Write {
   public:
    // `parts`, then `last_number` in decimal if there is one (an absolute
    // expiry, formatted only if the command is asked for).
    explicit Write(std::span<const std::string_view> parts,
                   std::optional<std::int64_t> last_number = std::nullopt)
        : parts_(parts), last_number_(last_number) {}
    const Argv& command() const {
      if (command_.empty()) {
        command_.assign(parts_.begin(), parts_.end());
        if (last_number_) command_.push_back(std::to_string(*last_number_));
      }
      return command_;
    }

   private:
    std::span<const std::string_view> parts_;
    std::optional<std::int64_t> last_number_;
    mutable Argv command_;
  };

  // Called with each write (during the command that made it).
  void set_write_observer(std::function<void(const Write&)> observer) {
    write_observer_ = std::move(observer);
  }
  // The same, for an observer that always wants the command.
  void set_write_observer(std::function<void(const Argv&)> observer) {
    write_observer_ = [wants = std::move(observer)](const Write& w) { wants(w.command()); };
  }

  // The keyspace, for persistence (snapshots) and tests. Expired keys may
  // still be present until touched or cycled.
  struct Entry {
    std::string value;
    std::optional<std::int64_t> expires_at_ms;
    // Redis 7.0 (keyIsExpired in db.c, and the active cycle in expire.c)
    // deletes a key only once the clock has passed its time: `now > when`,
    // never at `when` itself. With `when` = the command's millisecond + TTL,
    // a key lives at least its TTL after it arrived; expiring at `when`
    // would end it up to a millisecond early.
    bool expired_at(std::int64_t now_ms) const {
      return expires_at_ms.has_value() && now_ms > *expires_at_ms;
    }
  };
  const std::map<std::string, Entry>& keys() const { return keys_; }
  void restore(std::map<std::string, Entry> keys) { keys_ = std::move(keys); }
  void flush_scripts();

  // A replica never expires keys itself (it waits for the master's DEL), as
  // in Redis; reads still treat logically expired keys as missing, and
  // clients' writes are refused (READONLY).
  void set_replica(bool replica) { replica_ = replica; }

  // While the node loads its persisted data, Redis 7.0 refuses every command
  // that lacks the "LOADING" flag in src/commands/*.json, and none of the
  // commands here has it (PING neither: a loading node answers PING with
  // LOADING, which is why Sentinel counts that reply as alive). The
  // refusal comes after the checks processCommand (src/server.c) makes
  // first: unknown command or subcommand, arity, READONLY. Writes applied
  // by apply_replicated (the load itself) are not refused.
  void set_loading(bool loading) { loading_ = loading; }
  bool loading() const { return loading_; }

 private:
  friend class ScriptEngine;
  Reply dispatch(const Argv& argv, std::int64_t now_ms, bool from_script);
  Entry* find_live(const std::string& key, std::int64_t now_ms);
  // One descent of the keyspace for a command that reads and then writes
  // or deletes a key: `slot` is the key's live entry (`live`), or where it
  // would be inserted, a hint for emplace_hint. Lazy expiry as find_live.
  struct Located {
    std::map<std::string, Entry>::iterator slot;
    bool live = false;
  };
  Located locate(const std::string& key, std::int64_t now_ms);
  Entry& insert_new(std::map<std::string, Entry>::iterator hint, const std::string& key);
  void emit(std::initializer_list<std::string_view> command,
            std::optional<std::int64_t> last_number = std::nullopt);

  Reply cmd_set(const Argv& argv, std::int64_t now_ms);
  Reply cmd_setnx(const Argv& argv, std::int64_t now_ms);
  Reply cmd_get(const Argv& argv, std::int64_t now_ms);
  Reply cmd_del(const Argv& argv, std::int64_t now_ms);
  Reply cmd_exists(const Argv& argv, std::int64_t now_ms);
  Reply cmd_expire(const Argv& argv, std::int64_t now_ms, std::int64_t unit_ms);
  Reply cmd_ttl(const Argv& argv, std::int64_t now_ms, std::int64_t unit_ms);
  Reply cmd_incr(const Argv& argv, std::int64_t now_ms);
  Reply cmd_pexpireat(const Argv& argv, std::int64_t now_ms);
  Reply set_expiry(const std::string& key, Entry& entry, std::int64_t when, std::int64_t now_ms);
  Reply cmd_script(const Argv& argv);
  Reply cmd_eval(const Argv& argv, std::int64_t now_ms, bool by_sha);

  std::map<std::string, Entry> keys_;
  // Nodes of keys DEL removed, kept (a few) for new keys: lock keys are
  // deleted and set again over and over, and a recycled node (with its
  // value's storage) costs no allocation. Never observable.
  static constexpr std::size_t kSpareNodes = 64;
  std::vector<std::map<std::string, Entry>::node_type> spares_;
  std::function<void(const Write&)> write_observer_;
  std::int64_t script_now_ms_ = 0;
  bool replica_ = false;
  bool loading_ = false;
  bool applying_replicated_ = false;
  bool replaying_persisted_ = false;  // loading the AOF: nothing expires
  std::unique_ptr<ScriptEngine> scripts_;
};

}  // namespace locklab::sim::redis
