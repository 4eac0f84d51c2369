#include "peers.hpp"

#include <filesystem>

namespace locklab::interop_test {
namespace {

using namespace std::chrono_literals;

// Each script has a time limit of its own below this one (node_lock.js: 10 s;
// py_lock.py: 2 s socket timeouts), so a slow run reports its reason first.
constexpr std::chrono::milliseconds kChildLimit = 20s;

constexpr const char* kInstallHint = "run scripts/install-deps.sh --test";

// Debian's python3-redis belongs to the system interpreter; a python3 found
// first on PATH (pyenv) does not see it.
constexpr const char* kPython = "/usr/bin/python3";

const std::string kDir = LOCKLAB_INTEROP_DIR;

std::string joined(const std::vector<int>& ports) {
  std::string s;
  for (int p : ports) {
    if (!s.empty()) s += ',';
    s += std::to_string(p);
  }
  return s;
}

ChildResult python(std::vector<std::string> args) {
  args.insert(args.begin(), {kPython, kDir + "/py_lock.py"});
  return run_child(args, kChildLimit);
}

ChildResult node(std::vector<std::string> args) {
  args.insert(args.begin(), {"node", kDir + "/node/node_lock.js"});
  return run_child(args, kChildLimit);
}

}  // namespace

ChildResult py_acquire(int port, const std::string& key, std::chrono::milliseconds ttl) {
  return python({"acquire", std::to_string(port), key, std::to_string(ttl.count())});
}

ChildResult py_release(int port, const std::string& key, const std::string& token) {
  return python({"release", std::to_string(port), key, token});
}

ChildResult node_acquire(const std::vector<int>& ports, const std::string& key,
                         std::chrono::milliseconds ttl) {
  return node({"acquire", joined(ports), key, std::to_string(ttl.count())});
}

ChildResult node_release(const std::vector<int>& ports, const std::string& key,
                         const std::string& value) {
  return node({"release", joined(ports), key, value});
}

std::string redis_py_problem() {
  if (!std::filesystem::exists(kPython)) {
    return std::string(kPython) + " does not exist (Debian's python3); " + kInstallHint;
  }
  const ChildResult r = python({"version"});
  if (r.exit_code == kPeerDone) return {};
  return "redis-py is not usable (" + std::string(kInstallHint) + "): " + r.describe();
}

std::string node_redlock_problem() {
  if (!std::filesystem::exists(kDir + "/node/node_modules")) {
    return kDir + "/node/node_modules is missing: " + kInstallHint;
  }
  const ChildResult r = node({"version"});
  if (r.exit_code == kExecFailed) return std::string("node is not on PATH: ") + kInstallHint;
  if (r.exit_code != kPeerDone) {
    return "node-redlock is not usable (" + std::string(kInstallHint) + "): " + r.describe();
  }
  return {};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace locklab::interop_test
