// scenarios/src/file_names.hpp — the words a scenario file uses for enums,
// shared by the reader and the writer so the two cannot drift apart.
//
// Deliberately not the simulator's own display names (Persistence's name_of
// says "aof-always"): file words are identifiers, underscores throughout.
#pragma once

#include <string_view>
#include <utility>

#include "locklab/properties/verdict.hpp"
#include "locklab/scenarios/scenario.hpp"

namespace locklab::scenarios::detail {

inline constexpr std::pair<sim::ReadyOrder, std::string_view> kOrderNames[] = {
    {sim::ReadyOrder::fifo, "fifo"},
    {sim::ReadyOrder::random, "random"},
};

inline constexpr std::pair<sim::redis::Persistence, std::string_view> kPersistenceNames[] = {
    {sim::redis::Persistence::none, "none"},
    {sim::redis::Persistence::aof_always, "aof_always"},
    {sim::redis::Persistence::aof_everysec, "aof_everysec"},
    {sim::redis::Persistence::rdb, "rdb"},
};

inline constexpr std::pair<Algorithm, std::string_view> kAlgorithmNames[] = {
    {Algorithm::naive, "naive"},
    {Algorithm::naive_setnx, "naive_setnx"},
    {Algorithm::single_node, "single_node"},
    {Algorithm::redlock, "redlock"},
};

inline constexpr std::pair<MutexCall, std::string_view> kMutexCallNames[] = {
    {MutexCall::lock, "lock"},
    {MutexCall::try_lock, "try_lock"},
    {MutexCall::try_lock_for, "try_lock_for"},
    {MutexCall::unlock, "unlock"},
};

inline constexpr std::pair<lock::FanOutMode, std::string_view> kFanOutNames[] = {
    {lock::FanOutMode::parallel, "parallel"},
    {lock::FanOutMode::sequential, "sequential"},
};

inline constexpr std::pair<sim::PartitionMode, std::string_view> kPartitionModeNames[] = {
    {sim::PartitionMode::hold, "hold"},
    {sim::PartitionMode::reset, "reset"},
};

inline constexpr std::pair<properties::Verdict::Kind, std::string_view> kVerdictNames[] = {
    {properties::Verdict::Kind::ok, "ok"},
    {properties::Verdict::Kind::violation, "violation"},
    {properties::Verdict::Kind::unknown, "unknown"},
};

// The [[fault]] kinds; "failover" becomes a Scenario::Failover.
enum class FaultKind : std::uint8_t {
  pause, resume, kill, crash, restart, partition, heal, delay, clock_jump, drift, reset, failover
};
inline constexpr std::pair<FaultKind, std::string_view> kFaultKindNames[] = {
    {FaultKind::pause, "pause"},         {FaultKind::resume, "resume"},
    {FaultKind::kill, "kill"},           {FaultKind::crash, "crash"},
    {FaultKind::restart, "restart"},     {FaultKind::partition, "partition"},
    {FaultKind::heal, "heal"},           {FaultKind::delay, "delay"},
    {FaultKind::clock_jump, "clock_jump"}, {FaultKind::drift, "drift"},
    {FaultKind::reset, "reset"},         {FaultKind::failover, "failover"},
};

template <typename E, std::size_t N>
std::string_view file_name_of(const std::pair<E, std::string_view> (&names)[N], E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

// Bounds on what one file may ask for, so a hostile file cannot make the
// loader allocate without limit (docs/scenarios.md lists them).
inline constexpr int kMaxMasters = 1024;
inline constexpr int kMaxReplicas = 64;
inline constexpr int kMaxClientCount = 10'000;      // one [[client]] table's count
inline constexpr std::size_t kMaxProcesses = 100'000;
inline constexpr std::int64_t kMinDriftPpm = -999'999;  // a clock must not stop
inline constexpr std::int64_t kMaxDriftPpm = 10'000'000;  // ten times fast, as sim tests clocks

}  // namespace locklab::scenarios::detail
