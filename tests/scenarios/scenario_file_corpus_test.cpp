// The bad-file corpus: every tests/scenarios/bad/NAME.toml fails to load with
// exactly the message in NAME.expected (the file named as "NAME.toml"), and
// no file without an expected message slips in. Each good file loads.
//
// After a deliberate change of wording, regenerate the expectations with
//   LOCKLAB_UPDATE_EXPECTED=1 build/release/tests/scenario_file_tests
// and review the diff: each message must still say what, where and why.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::scenarios {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(LOCKLAB_SOURCE_DIR) / "tests" / "scenarios";

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<fs::path> files(const fs::path& dir, std::string_view extension) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == extension) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

TEST(ScenarioFileCorpus, HasTheCasesTheIssueAsksFor) {
  EXPECT_GE(files(kCorpus / "bad", ".toml").size(), 20u);
}

TEST(ScenarioFileCorpus, EveryBadFileGivesItsExactError) {
  const bool update = std::getenv("LOCKLAB_UPDATE_EXPECTED") != nullptr;
  for (const fs::path& path : files(kCorpus / "bad", ".toml")) {
    SCOPED_TRACE(path.string());
    const std::string name = path.filename().string();
    std::string message;
    try {
      (void)parse_scenario(read(path), name);
      ADD_FAILURE() << name << " loaded, but it is in the bad corpus";
      continue;
    } catch (const ScenarioError& e) {
      message = e.what();
      EXPECT_EQ(e.file, name);
    }
    fs::path expected_path = path;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << message << "\n";
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << "no " << expected_path.filename() << "; the error is:\n" << message;
    EXPECT_EQ(message, trimmed(read(expected_path)));
  }
}

TEST(ScenarioFileCorpus, EveryExpectationHasItsFile) {
  for (const fs::path& expected : files(kCorpus / "bad", ".expected")) {
    fs::path toml = expected;
    toml.replace_extension(".toml");
    EXPECT_TRUE(fs::exists(toml)) << expected << " has no .toml beside it";
  }
}

// load_scenario() names the file by the path it was given and reports the
// same problem as parse_scenario().
TEST(ScenarioFileCorpus, LoadNamesThePath) {
  const fs::path path = kCorpus / "bad" / "bad_unit.toml";
  try {
    (void)load_scenario(path);
    FAIL() << "loaded";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.file, path.string());
    EXPECT_EQ(e.line, 8u);
    EXPECT_EQ(e.column, 8u);
    EXPECT_EQ(e.field, "client[0].hold");
    EXPECT_EQ(std::string(e.what()), path.string() + ":8:8: client[0].hold: " + e.problem);
  }
}

TEST(ScenarioFileCorpus, EveryGoodFileLoadsAndRoundTrips) {
  for (const fs::path& path : files(kCorpus / "good", ".toml")) {
    SCOPED_TRACE(path.string());
    try {
      const Scenario s = load_scenario(path);
      EXPECT_EQ(parse_scenario(to_toml(s), "again.toml"), s);
    } catch (const ScenarioError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

}  // namespace
}  // namespace locklab::scenarios
