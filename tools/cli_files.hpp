// Small file helpers shared by the subcommands.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace locklab::tools {

// Opens `path` for writing, creating its directory; nullopt (and a message
// on stderr naming the path) when it cannot.
std::optional<std::ofstream> open_output(const std::filesystem::path& path);

// Writes `text` to `path`; false (and a message on stderr) when it cannot.
bool write_text(const std::filesystem::path& path, const std::string& text);

// The whole of `path`, byte for byte; nullopt when it cannot be read.
std::optional<std::string> read_text(const std::filesystem::path& path);

// How to run this program again, for "reproduce:" lines.
inline constexpr const char* kProgram = "locklab";

}  // namespace locklab::tools
