#include "locklab/realserver/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <thread>

#include "locklab/realserver/error.hpp"

namespace locklab::realserver {
namespace {

using Clock = std::chrono::steady_clock;

// Runs in the forked child: only async-signal-safe calls until exec. On any
// failure the errno goes up `report` and the child exits 127.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int log_fd, int report,
                             pid_t parent) {
  int error = 0;
  // Die with the parent thread; then close the race where the parent died
  // before prctl ran (we would already be someone else's child).
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) error = errno;
  if (error == 0 && ::getppid() != parent) ::_exit(127);
  if (error == 0 && ::setpgid(0, 0) != 0) error = errno;
  if (error == 0 && (::dup2(log_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0)) {
    error = errno;
  }
  if (error == 0) {
    // stdin from /dev/null: a server must never read the test's terminal.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      if (null_fd != STDIN_FILENO) ::close(null_fd);
    }
    // Close every inherited descriptor (the parent's sockets, other
    // servers' logs) except the close-on-exec report pipe.
    if (report > 3) ::close_range(3, static_cast<unsigned>(report) - 1, 0);
    ::close_range(static_cast<unsigned>(report) + 1, ~0U, 0);
    ::execvpe(argv[0], argv, envp);
    error = errno;
  }
  (void)!::write(report, &error, sizeof error);
  ::_exit(127);
}

// The inherited environment with `extra` added, each entry of `extra`
// replacing an inherited variable of the same name. Built before the fork:
// the child may only make async-signal-safe calls, and setenv is not one.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> names;
  for (const std::string& entry : extra) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw StartError("ChildProcess: environment entry '" + entry + "' is not NAME=value");
    }
    names.push_back(entry.substr(0, eq + 1));  // "NAME=", so a prefix names it exactly
  }
  std::vector<std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& name : names) replaced = replaced || entry.starts_with(name);
    if (!replaced) merged.emplace_back(entry);
  }
  merged.insert(merged.end(), extra.begin(), extra.end());
  return merged;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::filesystem::path& log,
                           const std::vector<std::string>& environment) {
  if (argv.empty()) throw StartError("ChildProcess: empty argv");
  std::vector<std::string> copy = argv;
  const std::vector<char*> args = pointers_to(copy);
  std::vector<std::string> env = merged_environment(environment);
  const std::vector<char*> envp = pointers_to(env);

  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open " + log.string());
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(log_fd);
    throw std::system_error(e, std::generic_category(), "pipe2");
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(report[0]);
    exec_child(args.data(), envp.data(), log_fd, report[1], parent);
  }
  const int fork_error = errno;
  ::close(log_fd);
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    throw std::system_error(fork_error, std::generic_category(), "fork");
  }
  pid_ = pid;
  owner_ = parent;
  // Also set the group from here: whichever of parent and child runs first,
  // the child is in its own group before anyone signals it.
  (void)::setpgid(pid, pid);
  int exec_error = 0;
  ssize_t n = 0;
  do {
    n = ::read(report[0], &exec_error, sizeof exec_error);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n > 0) {  // the exec (or the set-up before it) failed
    reap_blocking();
    throw StartError("could not start " + argv[0] + ": " + std::strerror(exec_error) +
                     (exec_error == ENOENT ? " (is it installed and on PATH?)" : ""));
  }
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::owned() const { return ::getpid() == owner_; }

bool ChildProcess::signal(int sig) const { return pid_ > 0 && owned() && ::kill(pid_, sig) == 0; }

std::optional<int> ChildProcess::try_reap() {
  if (pid_ <= 0 || !owned()) return std::nullopt;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return std::nullopt;
  pid_ = -1;
  status_ = status;
  return status;
}

void ChildProcess::reap_blocking() noexcept {
  if (pid_ <= 0 || !owned()) return;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = status;
  pid_ = -1;
}

void ChildProcess::kill() noexcept {
  if (pid_ <= 0 || !owned()) return;
  ::kill(pid_, SIGKILL);
  reap_blocking();
}

void ChildProcess::stop(std::chrono::milliseconds grace) noexcept {
  if (pid_ <= 0 || !owned()) return;
  ::kill(pid_, SIGCONT);  // a frozen child cannot act on SIGTERM
  ::kill(pid_, SIGTERM);
  const auto until = Clock::now() + grace;
  while (Clock::now() < until) {
    if (try_reap()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  kill();
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (name != nullptr ? name : std::to_string(WTERMSIG(status)));
  }
  return "wait status " + std::to_string(status);
}

}  // namespace locklab::realserver
