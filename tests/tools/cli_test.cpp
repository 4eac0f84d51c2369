// The locklab program itself: exit codes (0 clean, 1 findings or
// mismatches, 2 bad input), the seed printed first, and each subcommand's
// promise, checked by running the built binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("locklab-cli-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Result locklab(const std::string& args, const fs::path& dir) {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string command = std::string("'") + LOCKLAB_BINARY + "' " + args + " >'" + out.string() + "' 2>'" +
                              err.string() + "'";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

const fs::path kSource = LOCKLAB_SOURCE_DIR;

// Every file of the bad corpus: its exact error on stderr, exit code 2,
// nothing run (no seed printed), never a crash.
TEST(Cli, EveryBadScenarioFileGivesItsErrorAndExitCodeTwo) {
  const fs::path dir = scratch("bad");
  int files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(kSource / "tests/scenarios/bad")) {
    if (e.path().extension() != ".toml") continue;
    ++files;
    const Result r = locklab("run '" + e.path().string() + "'", dir);
    EXPECT_EQ(r.code, 2) << e.path() << "\n" << r.err;
    EXPECT_EQ(r.out.find("seed"), std::string::npos) << e.path();
    fs::path expected = e.path();
    expected.replace_extension(".expected");
    std::string want = slurp(expected);
    while (!want.empty() && want.back() == '\n') want.pop_back();
    // The corpus records messages with the bare file name.
    const std::string got = r.err;
    const std::string bare = want.substr(want.find(':'));
    EXPECT_NE(got.find(bare), std::string::npos) << e.path() << "\nwant: " << want << "\ngot:  " << got;
  }
  EXPECT_GE(files, 20);
}

TEST(Cli, BadArgumentsExitTwo) {
  const fs::path dir = scratch("args");
  EXPECT_EQ(locklab("explore --mode sideways", dir).code, 2);
  EXPECT_EQ(locklab("explore --shard 3/2", dir).code, 2);
  EXPECT_EQ(locklab("run", dir).code, 2);
  EXPECT_EQ(locklab("check /nonexistent-dir", dir).code, 2);
  EXPECT_EQ(locklab("nonsense", dir).code, 2);
  EXPECT_EQ(locklab("--help", dir).code, 0);
}

// explore writes a shrunk counterexample per finding; replaying one verifies
// its trace hash; run prints the seed first and exits 1 on its violation;
// check passes on the files explore wrote (their expectations are what they do).
TEST(Cli, ExploreWritesCounterexamplesThatReplayRunAndCheck) {
  const fs::path dir = scratch("explore");
  const fs::path out = dir / "findings";
  const Result e = locklab("explore --algorithm single_node --mode beyond --classes client_pause,delay "
                           "--fencing off --seeds 6 --quiet --out '" + out.string() + "'", dir);
  ASSERT_EQ(e.code, 1) << e.out << e.err;
  const nlohmann::json summary = nlohmann::json::parse(slurp(out / "summary-1-of-1.json"));
  ASSERT_FALSE(summary["findings"].empty());
  const std::string file = summary["findings"][0]["file"];
  EXPECT_NE(e.out.find("reproduce: locklab replay " + file), std::string::npos) << e.out;

  const Result replay = locklab("replay '" + file + "'", dir);
  EXPECT_EQ(replay.code, 0) << replay.out;
  EXPECT_NE(replay.out.find("matches the file"), std::string::npos) << replay.out;

  const Result run = locklab("run '" + file + "'", dir);
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_EQ(run.out.rfind("seed ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("VIOLATION"), std::string::npos);
  EXPECT_NE(run.out.find("story ("), std::string::npos);
  EXPECT_NE(run.out.find("reproduce: locklab run"), std::string::npos);

  const Result check = locklab("check '" + out.string() + "'", dir);
  EXPECT_EQ(check.code, 0) << check.out;
}

// A scenario whose [expect] is wrong: check exits 1 with a one-line diff.
TEST(Cli, CheckReportsEachMismatchOnOneLine) {
  const fs::path dir = scratch("check");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  std::ofstream(scenarios / "wrong.toml") << R"(format = 1
name = "wrong"
seed = 3
duration = "2s"
[[cluster.master]]
name = "redis-0"
[algorithm]
kind = "naive"
ttl = "300ms"
[[client]]
name = "a"
key = "k"
hold = "500ms"
[[client]]
name = "b"
key = "k"
start_after = "350ms"
[expect]
mutual_exclusion = "violation"
)";
  const Result r = locklab("check '" + scenarios.string() + "'", dir);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("MISMATCH  " + (scenarios / "wrong.toml").string() +
                       ": mutual_exclusion: expected violation, got ok"),
            std::string::npos)
      << r.out;
}

// A file that records a trace hash pins the run: check reports a different
// one as a mismatch (exit 1) even when every verdict is as expected.
TEST(Cli, CheckComparesARecordedTraceHash) {
  const fs::path dir = scratch("check-hash");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  const std::string original = slurp(kSource / "scenarios" / "naive-blind-del.toml");
  const std::size_t at = original.find("trace_hash = \"");
  ASSERT_NE(at, std::string::npos) << "the library scenario records no trace hash";
  std::string changed = original;
  char& last_digit = changed[original.find('"', at + std::string("trace_hash = \"").size()) - 1];
  last_digit = last_digit == '0' ? '1' : '0';  // another hash of the same length
  std::ofstream(scenarios / "changed.toml") << changed;
  const Result r = locklab("check '" + scenarios.string() + "'", dir);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("MISMATCH  " + (scenarios / "changed.toml").string() + ": trace hash: the file records "),
            std::string::npos)
      << r.out;
  std::ofstream(scenarios / "changed.toml", std::ios::trunc) << original;
  const Result same = locklab("check '" + scenarios.string() + "'", dir);
  EXPECT_EQ(same.code, 0) << same.out;
}

// Shards run by separate processes, merged, equal the unsharded run.
TEST(Cli, MergedShardSummariesEqualTheUnshardedSummary) {
  const fs::path dir = scratch("shards");
  const std::string common = "explore --algorithm redlock --mode beyond --seeds 9 --no-shrink --quiet ";
  ASSERT_NE(locklab(common + "--out '" + (dir / "whole").string() + "'", dir).code, 2);
  ASSERT_NE(locklab(common + "--shard 1/2 --out '" + (dir / "parts").string() + "'", dir).code, 2);
  ASSERT_NE(locklab(common + "--shard 2/2 --jobs 2 --out '" + (dir / "parts").string() + "'", dir).code, 2);
  const Result m = locklab("merge '" + (dir / "parts/summary-2-of-2.json").string() + "' '" +
                               (dir / "parts/summary-1-of-2.json").string() + "' -o '" +
                               (dir / "merged.json").string() + "'",
                           dir);
  ASSERT_NE(m.code, 2) << m.err;
  nlohmann::json whole = nlohmann::json::parse(slurp(dir / "whole/summary-1-of-1.json"));
  nlohmann::json merged = nlohmann::json::parse(slurp(dir / "merged.json"));
  // The files named differ only by output directory.
  for (nlohmann::json* j : {&whole, &merged}) {
    for (auto& f : (*j)["findings"]) f.erase("file");
  }
  EXPECT_EQ(merged, whole);
  EXPECT_EQ(whole["worlds"], 9);
}

}  // namespace
