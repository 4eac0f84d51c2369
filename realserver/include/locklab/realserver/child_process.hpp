// locklab/realserver/child_process.hpp — one child process, started and
// ended by its pid.
//
// Provides ChildProcess: fork + exec of an argv with stdout and stderr
// appended to a log file, every other descriptor closed. The child
//   - gets PR_SET_PDEATHSIG(SIGKILL), set after fork and then checked
//     against the original parent (getppid()), so a parent that dies at any
//     moment, even between fork and prctl, leaves no orphan behind;
//   - runs in a process group of its own (setpgid), so a terminal's Ctrl-C
//     or a signal to the parent's group does not reach it behind the
//     harness's back;
//   - reports a failed exec through a close-on-exec pipe, so a missing
//     executable is a StartError at once, not a timeout later.
// signal() sends to the pid only (never to a group); stop() is SIGCONT,
// SIGTERM, a bounded wait, SIGKILL, reap, and the destructor runs it, so a
// test that fails or throws still ends its children. In a process forked
// from the owner (a test's own fork), the copy does nothing to the child:
// it is the owner's to end, not the fork's.
//
// PDEATHSIG is tied to the THREAD that forked, not to the process: when that
// thread exits, the child gets SIGKILL. Start children from a thread that
// outlives them (a test's main thread, a runner's control thread), never
// from a short-lived worker.
//
// The child inherits the parent's environment, with `environment`'s
// "NAME=value" entries added (replacing inherited variables of the same
// name): how a server is started under the clock shim (LD_PRELOAD).
//
// Not provided: a shell, removing variables, pipes to the child's stdin or
// stdout (it logs to a file), or waiting on several children at once.
//
// Thread-safety: not thread-safe; one thread owns a ChildProcess. Its
// methods never change the calling process's signal dispositions.
//
//   ChildProcess p({"redis-server", "--port", "7000"}, "/tmp/x/redis.log");
//   p.signal(SIGSTOP);
//   p.stop();  // or let the destructor do it
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace locklab::realserver {

class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH), appending its output to `log`, with
  // `environment` ("NAME=value" each) added to the inherited environment.
  // Throws StartError when the exec fails (the message names the program and
  // errno) or an entry has no '=', std::system_error when fork or the log
  // file fails.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log,
               const std::vector<std::string>& environment = {});
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True until the child has been reaped (a stopped child is still running).
  bool running() const { return pid_ > 0; }

  // kill(pid, sig); false if the child was already reaped.
  bool signal(int sig) const;
  // Reaps the child if it has exited, without waiting. Returns its wait
  // status when it was reaped by this call.
  std::optional<int> try_reap();
  // SIGKILL and reap (a crash: nothing is flushed). Idempotent.
  void kill() noexcept;
  // SIGCONT, SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps.
  // Idempotent; never throws.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds{3000}) noexcept;
  // The last wait status reaped (nullopt while running or never reaped).
  std::optional<int> exit_status() const { return status_; }

 private:
  void reap_blocking() noexcept;
  bool owned() const;  // false in a forked copy of the owning process

  pid_t pid_ = -1;
  pid_t owner_ = -1;
  std::optional<int> status_{};
};

// "exited 1", "killed by SIGKILL", ... for a wait status.
std::string describe_wait_status(int status);

}  // namespace locklab::realserver
