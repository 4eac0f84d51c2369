// Determinism rules on the source tree: code under sim/, history/ and
// lockimpl/ (except the production backend in lockimpl/hiredis/) reads time,
// randomness and
// sleeps only through the world or the backend. A scanner finds calls to real
// clocks, OS randomness, real sleeps, threads, unordered containers (whose
// iteration order is unspecified) and floating point, ignoring comments and
// string literals. Floating point is allowed only where a file is listed
// with its reason (Lua numbers are doubles in Redis too; a drift factor is
// read as a fraction and kept as integer ppm).
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when built
// with the sanitizers (-O1); it is about libstdc++'s code, not this file's.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Rule {
  const char* pattern;
  const char* why;
  // Files (paths from the source root, or folder prefixes) where the rule
  // does not apply, each for a stated reason at the rule.
  std::vector<std::string> allowed_in = {};
};

bool allowed(const Rule& rule, const std::string& name) {
  return std::any_of(rule.allowed_in.begin(), rule.allowed_in.end(),
                     [&](const std::string& prefix) { return name.starts_with(prefix); });
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> all = {
      {R"((steady_clock|system_clock|high_resolution_clock|utc_clock|tai_clock|gps_clock|file_clock)\s*::\s*now\b)",
       "reads a real clock"},
      {R"(\b(gettimeofday|clock_gettime|timespec_get|ftime)\s*\()", "reads a real clock"},
      {R"((^|[^:\w.>])time\s*\(\s*(nullptr|NULL|0)?\s*\))", "reads a real clock"},
      {R"(\brandom_device\b)", "draws OS randomness"},
      {R"(\b(s?rand|random|drand48|arc4random|getrandom|getentropy)\s*\()", "draws OS randomness"},
      {R"(this_thread\s*::\s*sleep_(for|until)\b)", "sleeps on the real clock"},
      {R"(this_fiber\s*::\s*sleep_(for|until)\b)", "sleeps on the real clock (Boost.Fiber)"},
      {R"(\b(usleep|nanosleep|sleep)\s*\()", "sleeps on the real clock"},
      {R"(\bunordered_(map|set|multimap|multiset)\b)",
       "unordered container: iteration order is unspecified"},
      // std::thread::id stays allowed: a World records the one thread it is
      // confined to.
      {R"(\bstd\s*::\s*(jthread|async)\b|\bstd\s*::\s*thread\b(?!\s*::\s*id)|\bpthread_create\s*\()",
       "starts a thread: a world runs on one"},
      {R"(\b(float|double)\b)", "floating point: not the same on every machine",
       // Lua's numbers are doubles in Redis as here: the scripting engine and
       // its sandbox compute as Redis does. A drift factor is written as a
       // fraction and turned into integer ppm once, when options are checked.
       {"sim/src/redis/lua_", "sim/src/redis/scripting", "lockimpl/include/locklab/lock/options.hpp"}},
  };
  return all;
}

// Blanks out comments and string/character literals (keeping newlines, so
// line numbers stay right).
std::string code_only(const std::string& src) {
  std::string out = src;
  enum class State { code, line_comment, block_comment, string, character, raw };
  State state = State::code;
  std::string raw_end;
  for (std::size_t i = 0; i < src.size(); ++i) {
    const char c = src[i];
    const char next = i + 1 < src.size() ? src[i + 1] : '\0';
    auto blank = [&](std::size_t at) {
      if (out[at] != '\n') out[at] = ' ';
    };
    switch (state) {
      case State::code:
        if (c == '/' && next == '/') {
          state = State::line_comment;
          blank(i);
        } else if (c == '/' && next == '*') {
          state = State::block_comment;
          blank(i);
        } else if (c == 'R' && next == '"' && (i == 0 || !std::isalnum(static_cast<unsigned char>(src[i - 1])))) {
          const std::size_t open = src.find('(', i + 2);
          if (open == std::string::npos) break;
          raw_end = ")" + src.substr(i + 2, open - i - 2) + "\"";
          state = State::raw;
          ++i;
        } else if (c == '"') {
          state = State::string;
        } else if (c == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(src[i - 1])))) {
          state = State::character;  // (a ' after a digit is a digit separator)
        }
        break;
      case State::line_comment:
        if (c == '\n') state = State::code;
        blank(i);
        break;
      case State::block_comment:
        blank(i);
        if (c == '*' && next == '/') {
          blank(i + 1);
          ++i;
          state = State::code;
        }
        break;
      case State::string:
      case State::character:
        if (c == '\\') {
          blank(i);
          if (i + 1 < src.size()) blank(++i);
        } else if ((state == State::string && c == '"') || (state == State::character && c == '\'')) {
          state = State::code;
        } else {
          blank(i);
        }
        break;
      case State::raw:
        if (src.compare(i, raw_end.size(), raw_end) == 0) {
          i += raw_end.size() - 1;
          state = State::code;
        } else {
          blank(i);
        }
        break;
    }
  }
  return out;
}

// What lockimpl/ (one source for simulation and production) must never hold.
const std::vector<Rule>& lockimpl_rules() {
  static const std::vector<Rule> all = {
      {R"(catch\s*\(\s*\.\.\.\s*\))", "catch (...) would swallow a simulated kill"},
      {R"(^\s*#\s*(if|ifdef|ifndef|elif)\b)", "#if in lockimpl: one source for both backends"},
      {R"(#\s*include\s*[<"]locklab/sim/)", "lockimpl must not know the simulator"},
      {R"(\b(true_now|TrueTime|TrueClock)\b)", "true time belongs to the world, not to an algorithm"},
  };
  return all;
}

// What the history and the checkers must never include: they link no
// simulator (no Boost.Fiber, no Lua), so a history recorded on real servers
// is judged by the same code. tests/layering.cmake checks their links.
const std::vector<Rule>& layering_rules() {
  static const std::vector<Rule> all = {
      {R"(#\s*include\s*[<"]locklab/(sim|scenarios|reports|realserver)/)",
       "the history and the checkers must not know the simulator or what sits on it"},
      {R"(#\s*include\s*[<"](boost/|lua|lauxlib|lualib))", "no Boost, no Lua below the simulator"},
      {R"(#\s*include\s*[<"]locklab/properties/)", "the history knows no checker",
       // The checkers themselves include each other's headers.
       {"properties/"}},
  };
  return all;
}

// "file:line: why: text" for every rule broken in `source`.
std::vector<std::string> violations(const std::string& name, const std::string& source,
                                    const std::vector<Rule>& which = rules()) {
  std::vector<std::string> found;
  // Includes name their header in a string literal: keep those lines whole.
  const bool includes = &which == &lockimpl_rules() || &which == &layering_rules();
  const std::string code = includes ? source : code_only(source);
  // Compiled once per file, not once per line: std::regex construction is
  // slow (it made this test the slowest of the suite under ASan).
  std::vector<std::regex> patterns;
  for (const Rule& rule : which) patterns.emplace_back(rule.pattern);
  std::istringstream lines(code);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (includes && line.find("//") != std::string::npos &&
        line.find("#include") == std::string::npos) {
      line = code_only(line);  // a comment may mention what the code must not do
    }
    for (std::size_t r = 0; r < which.size(); ++r) {
      if (!allowed(which[r], name) && std::regex_search(line, patterns[r])) {
        found.push_back(name + ":" + std::to_string(number) + ": " + which[r].why + ": " + line);
      }
    }
  }
  return found;
}

std::vector<fs::path> checked_files() {
  const fs::path root = LOCKLAB_SOURCE_DIR;
  std::vector<fs::path> files;
  for (const char* dir : {"sim", "history", "lockimpl"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const fs::path rel = fs::relative(entry.path(), root);
      if (rel.string().starts_with("lockimpl/hiredis")) continue;  // the production backend
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".hpp" || ext == ".cpp" || ext == ".h" || ext == ".cc" || ext == ".ipp")) {
        files.push_back(rel);
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(SourceRules, SimAndLockimplUseNoRealTimeRandomnessOrSleep) {
  const std::vector<fs::path> files = checked_files();
  ASSERT_GT(files.size(), 20u) << "the scan found too few files: is LOCKLAB_SOURCE_DIR right?";
  std::vector<std::string> all;
  for (const fs::path& rel : files) {
    std::ifstream in(fs::path(LOCKLAB_SOURCE_DIR) / rel);
    std::stringstream text;
    text << in.rdbuf();
    for (std::string& v : violations(rel.string(), text.str())) all.push_back(std::move(v));
  }
  EXPECT_THAT(all, ::testing::IsEmpty());
}

TEST(SourceRules, LockimplHasNoCatchAllNoIfdefAndNoSimulation) {
  std::vector<std::string> all;
  std::size_t scanned = 0;
  for (const fs::path& rel : checked_files()) {
    if (!rel.string().starts_with("lockimpl/")) continue;
    ++scanned;
    std::ifstream in(fs::path(LOCKLAB_SOURCE_DIR) / rel);
    std::stringstream text;
    text << in.rdbuf();
    for (std::string& v : violations(rel.string(), text.str(), lockimpl_rules())) {
      all.push_back(std::move(v));
    }
  }
  ASSERT_GT(scanned, 10u);
  EXPECT_THAT(all, ::testing::IsEmpty());
}

TEST(SourceRules, LockimplScannerCatchesEachForbiddenConstruct) {
  const std::vector<std::string> bad = {
      "} catch (...) {",
      "#ifdef LOCKLAB_SIM",
      "  #if defined(X)",
      "#include \"locklab/sim/world.hpp\"",
      "auto t = world.true_now();",
  };
  for (const std::string& line : bad) {
    EXPECT_EQ(violations("x.hpp", line, lockimpl_rules()).size(), 1u) << line;
  }
  EXPECT_THAT(violations("x.hpp", "// never catch (...) here", lockimpl_rules()),
              ::testing::IsEmpty());
  EXPECT_THAT(violations("x.hpp", "#include \"locklab/lock/backend.hpp\"", lockimpl_rules()),
              ::testing::IsEmpty());
}

TEST(SourceRules, HistoryAndPropertiesIncludeNoSimulatorBoostOrLua) {
  const fs::path root = LOCKLAB_SOURCE_DIR;
  std::vector<std::string> all;
  std::size_t scanned = 0;
  for (const char* dir : {"history", "properties"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".hpp" && ext != ".cpp")) continue;
      ++scanned;
      const std::string rel = fs::relative(entry.path(), root).string();
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      for (std::string& v : violations(rel, text.str(), layering_rules())) all.push_back(std::move(v));
    }
  }
  ASSERT_GT(scanned, 15u) << "the scan found too few files: is LOCKLAB_SOURCE_DIR right?";
  EXPECT_THAT(all, ::testing::IsEmpty());
}

TEST(SourceRules, LayeringScannerCatchesEachForbiddenInclude) {
  const std::vector<std::string> bad = {
      "#include \"locklab/sim/world.hpp\"",
      "#include <locklab/sim/time.hpp>",
      "#include \"locklab/scenarios/runner.hpp\"",
      "#include <boost/fiber/all.hpp>",
      "#include <lua.hpp>",
      "#include \"locklab/properties/verdict.hpp\"",
  };
  for (const std::string& line : bad) {
    EXPECT_EQ(violations("history/src/x.cpp", line, layering_rules()).size(), 1u) << line;
  }
  EXPECT_THAT(violations("properties/src/x.cpp", "#include \"locklab/properties/verdict.hpp\"",
                         layering_rules()),
              ::testing::IsEmpty());
  EXPECT_THAT(violations("history/src/x.cpp", "// the history never includes locklab/sim/ headers",
                         layering_rules()),
              ::testing::IsEmpty());
  EXPECT_THAT(violations("history/src/x.cpp", "#include \"locklab/history/time.hpp\"",
                         layering_rules()),
              ::testing::IsEmpty());
}

// The scanner itself: each forbidden call is caught...
TEST(SourceRules, ScannerCatchesEachForbiddenCall) {
  const std::vector<std::string> bad = {
      "auto t = std::chrono::steady_clock::now();",
      "auto t = std::chrono::system_clock::now();",
      "auto t = high_resolution_clock::now();",
      "gettimeofday(&tv, nullptr);",
      "clock_gettime(CLOCK_MONOTONIC, &ts);",
      "auto t = time(nullptr);",
      "std::random_device rd;",
      "int x = rand();",
      "srand(42);",
      "std::this_thread::sleep_for(1ms);",
      "boost::this_fiber::sleep_for(1ms);",
      "usleep(10);",
      "std::unordered_map<int, int> m;",
      "std::thread t([] {});",
      "std::jthread t(f);",
      "auto f = std::async(g);",
      "pthread_create(&t, nullptr, f, nullptr);",
      "double rate = 0.5;",
      "const float x = 1;",
  };
  for (const std::string& line : bad) {
    EXPECT_EQ(violations("sim/src/x.cpp", line).size(), 1u) << line;
  }
}

// A listed file may use what its rule allows it, and nothing else.
TEST(SourceRules, AnAllowedFileIsExemptFromThatRuleOnly) {
  EXPECT_THAT(violations("sim/src/redis/lua_sandbox.cpp", "double n = lua_tonumber(L, 1);"),
              ::testing::IsEmpty());
  EXPECT_EQ(violations("sim/src/redis/lua_sandbox.cpp", "int x = rand();").size(), 1u);
  EXPECT_EQ(violations("sim/src/world.cpp", "double n = 1;").size(), 1u);
}

// ...and what only looks like one is not.
TEST(SourceRules, ScannerIgnoresCommentsStringsAndLookalikes) {
  const std::vector<std::string> fine = {
      "// steady_clock::now() would be a bug here",
      "/* rand() */ int x = 1;",
      "log(\"do not call std::this_thread::sleep_for\");",
      "auto s = R\"(random_device)\";",
      "void f(std::chrono::steady_clock::time_point tp);",
      "world.true_now(); process.now();",
      "rng.below(10); operand(1);",
      "int n = 1'000'000; char c = 'x';",
      "x.time(); deadline.time_since_epoch();",
      "std::thread::id owner_thread_;",
      "double_quoted(); doubled = 2; float_free();",
  };
  for (const std::string& line : fine) {
    EXPECT_THAT(violations("x.cpp", line), ::testing::IsEmpty()) << line;
  }
}

}  // namespace
