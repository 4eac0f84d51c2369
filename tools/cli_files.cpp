#include "cli_files.hpp"

#include <iostream>
#include <sstream>
#include <system_error>

namespace locklab::tools {

std::optional<std::ofstream> open_output(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    std::cerr << "locklab: cannot write '" << path.string() << "'"
              << (ec ? " (" + ec.message() + ")" : std::string()) << "\n";
    return std::nullopt;
  }
  return out;
}

bool write_text(const std::filesystem::path& path, const std::string& text) {
  std::optional<std::ofstream> out = open_output(path);
  if (!out) return false;
  *out << text;
  out->flush();
  if (!*out) {
    std::cerr << "locklab: writing '" << path.string() << "' failed\n";
    return false;
  }
  return true;
}

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

}  // namespace locklab::tools
