// tests/fuzz/scenario_loader_fuzz.cpp — scenario files under a fuzzer.
//
// Feeds bytes to parse_scenario(), writes what loads back out with
// to_toml(), and runs it as a world under a 10,000-event budget: a file that
// loads must run. A ScenarioError is the loader doing its job, and a world
// that fails (a fiber threw, the budget ran out) is a result the runner
// reports; anything else — another exception (std::terminate aborts), a
// crash, a sanitizer report, a hang — is a finding.
//
// Built two ways (tests/fuzz/CMakeLists.txt):
//   - for AFL++ (scripts/fuzz-loader.sh), with only the file code
//     instrumented, so coverage steers the fuzzer towards new file shapes,
//     and the simulator, checkers and runner linked uninstrumented from the
//     release build; with afl-g++-fast, AFL++'s persistent mode (test cases
//     from shared memory, thousands per process); with classic afl-g++, a
//     fork per test case reading the file AFL++ names;
//   - with the normal compiler as scenario_fuzz_replay, which reads each file
//     named on the command line (or stdin) once: ctest runs it over the bad
//     and good corpora, and it replays a crash or hang AFL++ found.
//
//   scenario_fuzz_replay --print tests/scenarios/bad/*.toml
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "locklab/scenarios/runner.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace {

bool g_print = false;

void load(std::string_view text, std::string_view name) {
  try {
    const locklab::scenarios::Scenario s = locklab::scenarios::parse_scenario(text, name);
    // Whatever loads must also write: the writer is fuzzed through the reader.
    const std::string again = locklab::scenarios::to_toml(s);
    const locklab::scenarios::RunReport run =
        locklab::scenarios::run_scenario(s, {.max_events = 10'000});
    if (g_print) {
      std::cout << name << ": ok (" << again.size() << " bytes written back; the world "
                << locklab::sim::name_of(run.run.status) << " after " << run.run.events
                << " events)\n";
    }
  } catch (const locklab::scenarios::ScenarioError& e) {
    if (g_print) std::cout << e.what() << "\n";
  }
}

}  // namespace

// Persistent mode needs AFL++'s compiler runtime, which afl-g++-fast links
// and classic afl-g++ does not (it defines the macros all the same), so
// scripts/fuzz-loader.sh says which it built with.
#if defined(__AFL_FUZZ_TESTCASE_LEN) && defined(LOCKLAB_AFL_PERSISTENT)
#include <unistd.h>  // read(), which __AFL_FUZZ_TESTCASE_LEN may call

__AFL_FUZZ_INIT();

int main() {
  __AFL_INIT();
  const unsigned char* buffer = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(10000)) {
    const auto length = static_cast<std::size_t>(__AFL_FUZZ_TESTCASE_LEN);
    load(std::string_view(reinterpret_cast<const char*>(buffer), length), "fuzz.toml");
  }
  return 0;
}
#else
int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--print") {
      g_print = true;
      continue;
    }
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << arg << ": cannot open\n";
      return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    load(text.str(), arg);
    ++files;
  }
  if (files == 0) {
    std::ostringstream text;
    text << std::cin.rdbuf();
    load(text.str(), "<stdin>");
  }
  return 0;
}
#endif
