#include "locklab/sim/disk.hpp"

namespace locklab::sim {

void Disk::append(const std::string& file, std::string_view bytes) {
  File& f = files_[file];
  if (!f.cached) f.cached.emplace();
  f.cached->append(bytes);
}

void Disk::write(const std::string& file, std::string bytes) {
  files_[file].cached = std::move(bytes);
}

void Disk::remove(const std::string& file) {
  auto it = files_.find(file);
  if (it != files_.end()) it->second.cached.reset();
}

void Disk::fsync(const std::string& file) {
  auto it = files_.find(file);
  if (it == files_.end()) return;
  it->second.synced = it->second.cached;
  if (!it->second.synced) files_.erase(it);  // a synced removal is final
}

std::optional<std::string> Disk::read(const std::string& file) const {
  auto it = files_.find(file);
  if (it == files_.end()) return std::nullopt;
  return it->second.cached;
}

std::vector<std::string> Disk::files() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : files_) {
    if (f.cached) names.push_back(name);
  }
  return names;
}

void Disk::lose_unsynced() {
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->second.synced) {
      it->second.cached = it->second.synced;
      ++it;
    } else {
      it = files_.erase(it);
    }
  }
}

}  // namespace locklab::sim
