// locklab/scenarios/scenario.hpp — one lock scenario as plain data.
//
// Provides Scenario: the cluster (Redis masters, each with persistence,
// restart delay, clock and async replicas), the lock algorithm and its
// options, the protected storage (fenced or not), the clients and their
// workloads, the timed faults (the simulation core's own fault records, plus
// failovers, which only a Redis deployment knows), the seed, how long the
// world runs, and what a file expects: the verdicts, the outcome of single
// operations and what single clients achieve (expectations.hpp). The same
// value comes from a TOML file (scenario_file.hpp), from the explorer's
// generator, and from the shrinker; run_scenario() (runner.hpp) turns it into
// a world.
//
// Processes are addressed by their index in process_names(scenario): the
// masters in order, each followed by its replicas, then the storage service,
// then the clients. The runner adds them to the world in exactly that order,
// so a fault's ProcessId is the same number in the file's world and in every
// replay. Files name processes by name; the loader resolves them.
//
// Deliberately absent: anything about how it is run (trace output, budgets
// of the caller) and any world. A Scenario is a value: copy it, compare it,
// shrink it.
//
//   Scenario s = single_node_example();
//   s.faults.push_back({sim::true_time(400ms), sim::ProcessPause{client_id(s, 0)}});
//   RunReport r = run_scenario(s);
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/lock/backend.hpp"
#include "locklab/lock/options.hpp"
#include "locklab/properties/verdict.hpp"
#include "locklab/scenarios/expectations.hpp"
#include "locklab/scenarios/steps.hpp"
#include "locklab/sim/clock.hpp"
#include "locklab/sim/fault.hpp"
#include "locklab/sim/latency.hpp"
#include "locklab/sim/lock_client.hpp"
#include "locklab/sim/redis/server.hpp"
#include "locklab/sim/world.hpp"

namespace locklab::scenarios {

// The scenario file format this build reads and writes.
// Format 2 adds client steps, named locks, preset keys, per-link
// latencies, the fan-out mode and the expectations of single operations and
// clients ([expect.steps], [expect.<client>]); a file without any of them is
// written as format 1, which every build since format 1 reads.
inline constexpr int kFormatVersion = 2;

enum class Algorithm : std::uint8_t {
  naive,         // SET NX PX, blind DEL (a negative control)
  naive_setnx,   // SETNX then PEXPIRE, blind DEL
  single_node,   // SET NX PX, Lua compare-and-delete (first master only)
  redlock,       // every master, quorum
};
std::string_view name_of(Algorithm algorithm);
std::optional<Algorithm> algorithm_named(std::string_view name);

struct MasterSpec {
  std::string name;  // unique; replicas are "<name>-replica-<i>"
  sim::redis::Persistence persistence = sim::redis::Persistence::none;
  sim::Duration restart_delay{0};
  // sim::redis::ServerOptions::load_time: how long a restart with data on
  // the disk spends loading it, answering LOADING (whole ms in the file).
  std::chrono::milliseconds load_time{0};
  sim::ClockSpec clock{};
  int replicas = 0;  // asynchronous replicas; a failover promotes one

  bool operator==(const MasterSpec&) const = default;
};

// A key one Redis node holds when the world starts, as if written before
// it (sim/redis/server.hpp, "Preset keys"): on the disk of a node with
// persistence (it survives a restart), in memory otherwise. On exactly the
// named node; replication then does with it what it does with any key.
// A fencing counter is such a key: "<lock key>:fence" holding an integer.
struct PresetSpec {
  std::string node;  // a name of redis_node_names(): a master or a replica
  std::string key;   // not empty
  std::string value;
  std::optional<std::chrono::milliseconds> ttl;  // from the start, by the node's clock; unset: none

  bool operator==(const PresetSpec&) const = default;
};

// The latency of every message between two processes, both ways, instead
// of ClusterSpec::latency.
struct LinkSpec {
  std::string a;  // process names, different; a pair is given once
  std::string b;
  sim::LatencyModel latency = sim::FixedLatency{std::chrono::microseconds(100)};

  bool operator==(const LinkSpec&) const = default;
};

struct ClusterSpec {
  std::vector<MasterSpec> masters;
  sim::LatencyModel latency = sim::FixedLatency{std::chrono::microseconds(100)};
  // How long after a failover clients learn the new master.
  sim::Duration discovery_delay{0};
  std::vector<PresetSpec> presets;  // in the order each node sets them
  std::vector<LinkSpec> links;      // per-link latency overrides

  bool operator==(const ClusterSpec&) const = default;
};

// lock::LockOptions without the caller's retry policy (a function is not
// data): everything a file can say about the algorithm.
struct AlgorithmSpec {
  Algorithm kind = Algorithm::redlock;
  std::chrono::milliseconds ttl{1'000};
  std::int64_t drift_ppm = 10'000;  // drift_factor in parts per million
  std::optional<std::size_t> quorum;
  std::optional<sim::Duration> node_timeout;
  int retry_count = 3;
  std::chrono::milliseconds retry_delay{200};
  std::chrono::milliseconds retry_jitter{100};
  bool fencing = false;
  bool return_early = false;
  // How the clients' backends fan a command out to the nodes (lock/backend.hpp).
  lock::FanOutMode fan_out = lock::FanOutMode::parallel;

  lock::LockOptions lock_options() const;
  bool operator==(const AlgorithmSpec&) const = default;
};

// A lock a client's steps may name besides the scenario's own
// ([algorithm]), so one world can compare locks side by side on different
// keys: its algorithm and options, and the masters it runs on.
struct LockSpec {
  std::string name;  // unique among the named locks, never empty
  AlgorithmSpec algorithm;
  // Master names, in the order the lock addresses them; empty: as the
  // scenario's own lock (every master for redlock, the first for the others).
  std::vector<std::string> masters;

  bool operator==(const LockSpec&) const = default;
};

struct ClientSpec {
  std::string name;  // unique across every process
  sim::ClockSpec clock{};
  sim::ClientWorkload workload{};
  // The workload as steps (steps.hpp); unset: the shorthand `workload`
  // above, which is then what the client runs. Steps that fit the shorthand
  // are kept as the shorthand (normalized()), so one workload has one value.
  std::optional<std::vector<Step>> steps;

  // What the client runs: its steps, or the shorthand's.
  std::vector<Step> effective_steps() const { return steps ? *steps : steps_of(workload); }
  // This client with steps that fit the shorthand turned into it.
  ClientSpec normalized() const;

  bool operator==(const ClientSpec&) const = default;
};

struct StorageSpec {
  std::string name = "storage";
  bool fenced = false;  // rejects a fencing token older than one accepted

  bool operator==(const StorageSpec&) const = default;
};

// A scheduled failover of one master's shard to its first replica (the
// deployment's failover agent sends REPLICAOF NO ONE over the network).
struct Failover {
  sim::TrueTime at{};
  std::string master;  // a MasterSpec::name with replicas > 0

  bool operator==(const Failover&) const = default;
};

// The checkers a scenario is judged by, in report order.
inline constexpr std::string_view kCheckers[] = {"mutual_exclusion", "resource_safety",
                                                  "liveness", "token_hygiene"};

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  sim::ReadyOrder order = sim::ReadyOrder::fifo;
  sim::Duration duration = std::chrono::seconds(10);  // the world runs this long
  ClusterSpec cluster;
  AlgorithmSpec algorithm;
  std::vector<LockSpec> locks;  // named locks, which acquire steps may use
  StorageSpec storage;
  std::vector<ClientSpec> clients;
  sim::FaultSchedule faults;  // ProcessIds index process_names()
  std::vector<Failover> failovers;
  // Expected verdict per checker name (kCheckers); unnamed checkers are not judged.
  std::map<std::string, properties::Verdict::Kind> expect;
  // Expected outcome word per operation ([expect.steps]): its outcome text
  // (a command's reply), kPendingWord or kAbsentWord.
  std::map<StepRef, std::string> expect_steps;
  // Per client name ([expect.<client>]). A client named like a checker or
  // "steps" cannot have one: the file would read its table as those.
  std::map<std::string, ClientExpectation> expect_clients;
  // A counterexample's recorded trace hash; replay verifies it.
  std::optional<std::uint64_t> trace_hash;

  bool operator==(const Scenario&) const = default;
};

// Every process of the scenario's world, in the order the runner adds them:
// masters (each followed by its replicas), the storage, then the clients.
std::vector<std::string> process_names(const Scenario& scenario);
// The Redis nodes' names among them: each master, then its replicas
// ("<name>-replica-<i>"), in process order.
std::vector<std::string> redis_node_names(const Scenario& scenario);
std::optional<sim::ProcessId> process_named(const Scenario& scenario, std::string_view name);

// The named locks' names, in the scenario's order.
std::vector<std::string> lock_names(const Scenario& scenario);
// The masters a lock runs on, as indexes into cluster.masters: `masters` by
// name, or by default every master for redlock and the first for the others.
std::vector<std::size_t> lock_masters(const Scenario& scenario, const AlgorithmSpec& algorithm,
                                      const std::vector<std::string>& masters);

// Where each group starts in process_names().
sim::ProcessId master_id(const Scenario& scenario, std::size_t index);
sim::ProcessId storage_id(const Scenario& scenario);
sim::ProcessId client_id(const Scenario& scenario, std::size_t index);

// Whether the scenario says anything only format 2 can (what to_toml writes
// as format 2).
bool needs_format_2(const Scenario& scenario);

// Empty when the scenario can be run; otherwise every problem, one per line,
// naming the field ("clients[2].name: 'redis-0' is already a process name").
// The loader reports file positions itself; this is the check behind it that
// generated and shrunk scenarios go through too.
std::vector<std::string> validate(const Scenario& scenario);

}  // namespace locklab::scenarios
