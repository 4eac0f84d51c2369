// locklab/sim/disk.hpp — a process's durable storage.
//
// Provides Disk: named files, each with what the process sees (the operating
// system's page cache) and what is durable (synced to the device). A process
// kill loses nothing here (the OS still holds the page cache); a machine crash
// rolls every file back to its last fsync, and a file never synced vanishes.
// The Disk belongs to the World and outlives every incarnation of the process.
//
// Deliberately absent: partial writes, torn pages and fsync latency. Files
// are whole strings; Redis persistence (AOF, RDB) is built on append, write
// and fsync.
//
//   disk.append("appendonly.aof", command);
//   disk.fsync("appendonly.aof");
//   std::optional<std::string> aof = disk.read("appendonly.aof");
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace locklab::sim {

class Disk {
 public:
  void append(const std::string& file, std::string_view bytes);
  void write(const std::string& file, std::string bytes);  // replaces the content
  void remove(const std::string& file);
  void fsync(const std::string& file);

  std::optional<std::string> read(const std::string& file) const;
  std::vector<std::string> files() const;  // sorted by name

  // Power loss: every file reverts to its synced content.
  void lose_unsynced();

 private:
  struct File {
    std::optional<std::string> cached;  // nullopt: removed (not yet durable)
    std::optional<std::string> synced;  // nullopt: never synced
  };
  std::map<std::string, File> files_;
};

}  // namespace locklab::sim
