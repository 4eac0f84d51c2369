// The locklab program itself: exit codes (0 clean, 1 a safety finding or a
// mismatch, 2 bad input, 3 a liveness finding, 4 a failed world), the seed
// printed first, and each subcommand's promise, checked by running the
// built binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
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

// Every file of the bad corpus gives its exact error through the command
// line, never a crash: all of them in one `check` of the corpus (a BAD line
// each, exit 2; one process, which matters under the sanitizers), and `run`
// of every tenth file exits 2 with its error on stderr, nothing run (no seed
// printed).
TEST(Cli, EveryBadScenarioFileGivesItsErrorAndExitCodeTwo) {
  const fs::path dir = scratch("bad");
  const fs::path corpus = kSource / "tests/scenarios/bad";
  const Result all = locklab("check '" + corpus.string() + "'", dir);
  EXPECT_EQ(all.code, 2) << all.out << all.err;
  std::vector<fs::path> bad;
  for (const fs::directory_entry& e : fs::directory_iterator(corpus)) {
    if (e.path().extension() == ".toml") bad.push_back(e.path());
  }
  std::sort(bad.begin(), bad.end());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const fs::path& file = bad[i];
    fs::path expected = file;
    expected.replace_extension(".expected");
    std::string want = slurp(expected);
    while (!want.empty() && want.back() == '\n') want.pop_back();
    // The corpus records messages with the bare file name.
    const std::string bare = want.substr(want.find(':'));
    EXPECT_NE(all.out.find("BAD       " + file.string() + bare), std::string::npos)
        << file << "\nwant: " << want << "\ngot:  " << all.out;
    if (i % 10 != 0) continue;
    const Result r = locklab("run '" + file.string() + "'", dir);
    EXPECT_EQ(r.code, 2) << file << "\n" << r.err;
    EXPECT_EQ(r.out.find("seed"), std::string::npos) << file;
    EXPECT_NE(r.err.find(bare), std::string::npos) << file << "\nwant: " << want << "\ngot:  " << r.err;
  }
  EXPECT_GE(bad.size(), 20u);
  EXPECT_NE(all.out.find(fmt::format("{} bad files", bad.size())), std::string::npos) << all.out;
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
  // Each finding names what it blames: the fault classes left after
  // shrinking (here only pauses and delays were drawn), or drift-config.
  ASSERT_TRUE(summary["findings"][0]["causes"].is_array());
  ASSERT_FALSE(summary["findings"][0]["causes"].empty());
  std::string causes;
  for (const auto& c : summary["findings"][0]["causes"]) causes += (causes.empty() ? "" : ", ") + c.get<std::string>();
  EXPECT_NE(e.out.find("\n  cause: " + causes + "\n"), std::string::npos) << e.out;

  // The replayed world gives its safety violation again, as the file expects.
  const Result replay = locklab("replay '" + file + "'", dir);
  EXPECT_EQ(replay.code, 1) << replay.out;
  EXPECT_EQ(replay.out.find("MISMATCH"), std::string::npos) << replay.out;
  EXPECT_NE(replay.out.find("matches the file"), std::string::npos) << replay.out;

  const Result run = locklab("run '" + file + "'", dir);
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_EQ(run.out.rfind("seed ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("VIOLATION"), std::string::npos);
  EXPECT_NE(run.out.find("story ("), std::string::npos);
  EXPECT_NE(run.out.find("finding: safety\nreproduce: locklab run"), std::string::npos) << run.out;

  const Result check = locklab("check '" + out.string() + "'", dir);
  EXPECT_EQ(check.code, 0) << check.out;
}

// Faults that cannot apply when they come due: run, replay and check each
// warn on stderr, one line per fault naming the file, its line, its
// [[fault]] index (a failover counts), the fault, its time and why. The
// verdicts and exit codes are unchanged: such a fault changes nothing.
TEST(Cli, FaultsThatCannotApplyAreWarnedAboutByRunReplayAndCheck) {
  const fs::path dir = scratch("inapplicable");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  const fs::path file = scenarios / "noop-faults.toml";
  std::ofstream(file) << R"(format = 1
name = "noop-faults"
seed = 1
duration = "1s"
[[cluster.master]]
name = "redis-0"
replicas = 1
[[cluster.master]]
name = "redis-1"
[algorithm]
kind = "redlock"
[[client]]
name = "a"
key = "k"
start_after = "500ms"
[[fault]]
at = "10ms"
kind = "restart"
process = "redis-0"
[[fault]]
at = "20ms"
kind = "failover"
master = "redis-0"
[[fault]]
at = "30ms"
kind = "resume"
process = "a"
[[fault]]
at = "40ms"
kind = "heal"
from = ["a"]
to = ["redis-1"]
[[fault]]
at = "50ms"
kind = "crash"
process = "redis-1"
[[fault]]
at = "60ms"
kind = "crash"
process = "redis-1"
[[fault]]
at = "70ms"
kind = "pause"
process = "redis-1"
[expect]
mutual_exclusion = "ok"
)";
  const std::string f = file.string();
  const std::vector<std::string> warnings = {
      f + ":16: warning: fault[0] (restart redis-0 at 10ms) cannot apply: process is up; it changes nothing and can be removed",
      f + ":24: warning: fault[2] (resume a at 30ms) cannot apply: process is running;",
      f + ":28: warning: fault[3] (heal a <-> redis-1 at 40ms) cannot apply: no link it names is cut;",
      f + ":37: warning: fault[5] (crash redis-1 at 60ms) cannot apply: machine is already down;",
      f + ":41: warning: fault[6] (pause redis-1 at 70ms) cannot apply: process is crashed;",
  };
  for (const std::string command : {"run", "replay", "check"}) {
    const Result r = locklab(command + (" '" + (command == std::string("check") ? scenarios.string() : f) + "'"), dir);
    EXPECT_EQ(r.code, 0) << command << "\n" << r.out << r.err;
    for (const std::string& w : warnings) EXPECT_NE(r.err.find(w), std::string::npos) << command << ": " << w << "\n" << r.err;
    EXPECT_EQ(r.err.find("crash redis-1 at 50ms"), std::string::npos) << command << ": that crash applies\n" << r.err;
    std::size_t count = 0;
    for (std::size_t at = r.err.find("warning:"); at != std::string::npos; at = r.err.find("warning:", at + 1)) ++count;
    EXPECT_EQ(count, warnings.size()) << command << ": one warning per fault that cannot apply\n" << r.err;
  }
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

// The library's naive-blind-del.toml with its recorded hash made stale (the
// last digit changed), and the hash the run really gives, as the file writes it.
struct StaleCopy {
  std::string original;  // the library file, byte for byte
  std::string stale;     // the same with a wrong trace_hash
  std::string hash;      // "0x" and the 16 digits the run gives
  std::string wrong;     // the stale copy's
};

StaleCopy stale_copy() {
  StaleCopy c;
  c.original = slurp(kSource / "scenarios" / "naive-blind-del.toml");
  const std::size_t at = c.original.find("trace_hash = \"") + std::string("trace_hash = \"").size();
  c.hash = c.original.substr(at, 18);
  c.stale = c.original;
  c.stale[at + 17] = c.stale[at + 17] == '0' ? '1' : '0';
  c.wrong = c.stale.substr(at, 18);
  return c;
}

// After a deliberate change moves the traces, --update-hashes rewrites the
// stale hash with the run's, names both, changes no other byte of the file
// (so the rewritten file is the library file again), and a plain check passes.
TEST(Cli, CheckUpdateHashesRewritesAStaleHashAndNothingElse) {
  const fs::path dir = scratch("update-hashes");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  const StaleCopy c = stale_copy();
  ASSERT_EQ(c.hash.rfind("0x", 0), 0u) << c.hash;
  std::ofstream(scenarios / "stale.toml") << c.stale;
  const Result r = locklab("check --update-hashes '" + scenarios.string() + "'", dir);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("updated   " + (scenarios / "stale.toml").string() + ": " + c.wrong + " -> " + c.hash + "\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("update-hashes: 1 files updated\n"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(scenarios / "stale.toml"), c.original);
  EXPECT_EQ(std::distance(fs::directory_iterator(scenarios), fs::directory_iterator()), 1);  // no temporary left
  const Result again = locklab("check '" + scenarios.string() + "'", dir);
  EXPECT_EQ(again.code, 0) << again.out;
}

// Updating hashes never hides a verdict change: a wrong [expect] is still a
// mismatch (exit 1), while the stale hash is recorded anew beside it.
TEST(Cli, CheckUpdateHashesStillFailsOnAVerdictMismatch) {
  const fs::path dir = scratch("update-hashes-verdict");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  const StaleCopy c = stale_copy();
  const std::string verdict = "mutual_exclusion = \"violation\"";
  std::string wrong_expect = c.stale;
  wrong_expect.replace(wrong_expect.find(verdict), verdict.size(), "mutual_exclusion = \"ok\"");
  std::ofstream(scenarios / "verdict.toml") << wrong_expect;
  const Result r = locklab("check --update-hashes '" + scenarios.string() + "'", dir);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("MISMATCH  " + (scenarios / "verdict.toml").string() +
                       ": mutual_exclusion: expected ok, got violation"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("trace hash:"), std::string::npos) << r.out;
  std::string want = wrong_expect;
  want.replace(want.find(c.wrong), c.wrong.size(), c.hash);
  EXPECT_EQ(slurp(scenarios / "verdict.toml"), want);
}

// A file without a trace_hash is not given one: it is judged and left as is.
TEST(Cli, CheckUpdateHashesLeavesAFileWithoutATraceHashAlone) {
  const fs::path dir = scratch("update-hashes-none");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  std::string text = stale_copy().original;
  const std::size_t at = text.find("trace_hash = ");
  text.erase(at, text.find('\n', at) + 1 - at);
  std::ofstream(scenarios / "none.toml") << text;
  const Result r = locklab("check --update-hashes '" + scenarios.string() + "'", dir);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("update-hashes: 0 files updated\n"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(scenarios / "none.toml"), text);
}

// A hash spelled other than trace_hash = "0x..." is not guessed at: the file
// is named as bad input (exit 2) and left byte for byte as it was.
TEST(Cli, CheckUpdateHashesRefusesAHashItCannotEditSafely) {
  const fs::path dir = scratch("update-hashes-spelling");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  std::string text = stale_copy().stale;
  const std::size_t at = text.find("trace_hash = \"") + std::string("trace_hash = ").size();
  text[at] = '\'';
  text[at + 19] = '\'';  // a literal string: it loads, but is not the writer's spelling
  std::ofstream(scenarios / "literal.toml") << text;
  const Result r = locklab("check --update-hashes '" + scenarios.string() + "'", dir);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("BAD       " + (scenarios / "literal.toml").string() + ": cannot update its trace_hash: "),
            std::string::npos)
      << r.out;
  EXPECT_EQ(slurp(scenarios / "literal.toml"), text);
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

// run: 0 on a clean world, 1 on a safety finding, 3 on a liveness finding
// alone, 4 on a world that ran out of its event budget (whatever else).
TEST(Cli, RunExitCodeNamesTheMostSeriousFinding) {
  const fs::path dir = scratch("run-codes");
  const fs::path lib = kSource / "scenarios";
  const Result clean = locklab("run '" + (lib / "client-crash-while-holding.toml").string() + "'", dir);
  EXPECT_EQ(clean.code, 0) << clean.out;
  EXPECT_EQ(clean.out.find("finding:"), std::string::npos) << clean.out;

  const Result safety = locklab("run '" + (lib / "naive-blind-del.toml").string() + "'", dir);
  EXPECT_EQ(safety.code, 1) << safety.out;

  const Result liveness =
      locklab("run '" + (lib / "single-node-clock-step-back-keeps-crashed-key.toml").string() + "'", dir);
  EXPECT_EQ(liveness.code, 3) << liveness.out;
  EXPECT_NE(liveness.out.find("finding: liveness\n"), std::string::npos) << liveness.out;

  const Result failed = locklab("run '" + (lib / "naive-blind-del.toml").string() + "' --max-events 50", dir);
  EXPECT_EQ(failed.code, 4) << failed.out;
  EXPECT_NE(failed.out.find("budget_exhausted"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("finding: world_failed\nreproduce: locklab run"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("--max-events 50"), std::string::npos) << failed.out;
}

// replay: the world's findings as for run (a file that gives the violation
// it expects still exits by that violation); a mismatch is 1.
TEST(Cli, ReplayExitCodeIsTheWorldsAndOneOnAMismatch) {
  const fs::path dir = scratch("replay-codes");
  const fs::path lib = kSource / "scenarios";
  EXPECT_EQ(locklab("replay '" + (lib / "client-crash-while-holding.toml").string() + "'", dir).code, 0);
  EXPECT_EQ(locklab("replay '" + (lib / "naive-blind-del.toml").string() + "'", dir).code, 1);
  EXPECT_EQ(locklab("replay '" + (lib / "naive-setnx-pexpire.toml").string() + "'", dir).code, 3);

  // The liveness story with a wrong expectation: a mismatch outranks it.
  std::string text = slurp(lib / "naive-setnx-pexpire.toml");
  const std::string want = "liveness = \"violation\"";
  ASSERT_NE(text.find(want), std::string::npos);
  text.replace(text.find(want), want.size(), "liveness = \"ok\"");
  std::ofstream(dir / "wrong.toml") << text;
  const Result wrong = locklab("replay '" + (dir / "wrong.toml").string() + "'", dir);
  EXPECT_EQ(wrong.code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("replay: expectation liveness: expected ok, got violation"), std::string::npos)
      << wrong.out;
}

// A scenario whose one client keeps going past the world's time limit (a
// simulated week): the run is cut short, a failed world.
constexpr const char* kTooLong = R"(format = 1
name = "too-long"
seed = 1
duration = "200h"
[cluster]
masters = 1
[algorithm]
kind = "single_node"
ttl = "1s"
[[client]]
name = "a"
key = "job"
iterations = 1000
think = "1h"
[expect]
liveness = "ok"
)";

// check: 4 when a world failed (reported, not compared), even beside a
// mismatch or a bad file.
TEST(Cli, CheckExitsFourWhenAWorldFailed) {
  const fs::path dir = scratch("check-failed");
  const fs::path scenarios = dir / "scenarios";
  fs::create_directories(scenarios);
  std::ofstream(scenarios / "too-long.toml") << kTooLong;
  // A small budget: the default one (50 million events) takes seconds.
  const std::string budget = " --max-events 20000";
  const Result r = locklab("check '" + scenarios.string() + "'" + budget, dir);
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_NE(r.out.find("FAILED    " + (scenarios / "too-long.toml").string() + ": the world failed: budget_exhausted"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 failed worlds"), std::string::npos) << r.out;
  std::ofstream(scenarios / "bad.toml") << "format = 1\nname = \n";
  EXPECT_EQ(locklab("check '" + scenarios.string() + "'" + budget, dir).code, 4);
  fs::remove(scenarios / "too-long.toml");
  EXPECT_EQ(locklab("check '" + scenarios.string() + "'" + budget, dir).code, 2);

  EXPECT_EQ(locklab("replay '" + (dir / "too-long.toml").string() + "'" + budget, dir).code, 2);  // no such file
  std::ofstream(dir / "too-long.toml") << kTooLong;
  EXPECT_EQ(locklab("replay '" + (dir / "too-long.toml").string() + "'" + budget, dir).code, 4);
}

// explore: each finding's kind on stdout and in the summary; the exit code
// is the most serious kind's. Worlds out of their event budget are
// world_failed findings (4); the explorer goes on through every seed.
TEST(Cli, ExploreNamesEachFindingsKindAndExitsByTheMostSerious) {
  const fs::path dir = scratch("explore-kinds");
  const Result failed = locklab("explore --algorithm redlock --mode within --seeds 3 --max-events 300 --quiet "
                                "--out '" + (dir / "failed").string() + "'",
                                dir);
  EXPECT_EQ(failed.code, 4) << failed.out << failed.err;
  EXPECT_NE(failed.out.find("finding: seed 2: world_failed"), std::string::npos) << failed.out;
  const std::string file = (dir / "failed/redlock-within-seed-2.toml").string();
  EXPECT_NE(failed.out.find("reproduce: locklab run " + file + " --max-events 300"), std::string::npos)
      << failed.out;
  EXPECT_EQ(locklab("run '" + file + "' --max-events 300", dir).code, 4);
  EXPECT_NE(failed.out.find("3 findings (3 world_failed)"), std::string::npos) << failed.out;
  const nlohmann::json summary = nlohmann::json::parse(slurp(dir / "failed/summary-1-of-1.json"));
  ASSERT_EQ(summary["findings"].size(), 3u);
  EXPECT_EQ(summary["findings"][2]["seed"], 2);
  EXPECT_EQ(summary["findings"][2]["kind"], "world_failed");
  EXPECT_EQ(summary["kinds"]["world_failed"], 3);

  const Result clean = locklab("explore --algorithm redlock --mode within --seeds 2 --quiet --out '" +
                                   (dir / "clean").string() + "'",
                               dir);
  EXPECT_EQ(clean.code, 0) << clean.out;
  EXPECT_NE(clean.out.find("0 findings;"), std::string::npos) << clean.out;

  // A SETNX + PEXPIRE lock whose node pauses between the two commands may
  // leave a key that never expires: liveness findings and nothing else (3).
  const Result liveness = locklab("explore --algorithm naive_setnx --mode beyond --classes server_pause --seeds 20 "
                                  "--no-shrink --quiet --out '" + (dir / "liveness").string() + "'",
                                  dir);
  EXPECT_EQ(liveness.code, 3) << liveness.out;
  EXPECT_NE(liveness.out.find(": liveness: liveness violated"), std::string::npos) << liveness.out;
  EXPECT_EQ(liveness.out.find(": safety: "), std::string::npos) << liveness.out;
}

// merge: the exit code of the most serious kind among the merged findings;
// a finding without a known kind is bad input.
TEST(Cli, MergeExitsByTheMostSeriousKind) {
  const fs::path dir = scratch("merge-kinds");
  const auto summary = [&](const std::string& name, const std::string& shard, const std::vector<std::string>& kinds) {
    nlohmann::json findings = nlohmann::json::array();
    std::uint64_t seed = shard == "1/2" ? 0 : 1;
    for (const std::string& k : kinds) {
      findings.push_back({{"seed", seed}, {"kind", k}, {"checker", ""}, {"violated", nlohmann::json::array()},
                          {"summary", ""}});
      seed += 2;
    }
    const nlohmann::json j{{"format", 1},       {"algorithm", "redlock"}, {"mode", "beyond"},
                           {"first_seed", 0},   {"seeds", 8},             {"shard", shard},
                           {"worlds", 4},       {"worlds_run", nlohmann::json::array()},
                           {"kinds", nlohmann::json::object()}, {"findings", findings}};
    std::ofstream(dir / name) << j.dump();
    return "'" + (dir / name).string() + "'";
  };
  const auto merge = [&](const std::string& a, const std::string& b) { return locklab("merge " + a + " " + b, dir); };
  EXPECT_EQ(merge(summary("a", "1/2", {}), summary("b", "2/2", {})).code, 0);
  EXPECT_EQ(merge(summary("a", "1/2", {"liveness"}), summary("b", "2/2", {})).code, 3);
  EXPECT_EQ(merge(summary("a", "1/2", {"liveness"}), summary("b", "2/2", {"safety"})).code, 1);
  const Result worst = merge(summary("a", "1/2", {"liveness", "world_failed"}), summary("b", "2/2", {"safety"}));
  EXPECT_EQ(worst.code, 4);
  const nlohmann::json merged = nlohmann::json::parse(worst.out);
  EXPECT_EQ(merged["kinds"]["world_failed"], 1);
  EXPECT_EQ(merged["kinds"]["safety"], 1);
  EXPECT_EQ(merged["kinds"]["liveness"], 1);
  EXPECT_EQ(merged["kinds"]["internal"], 0);
  EXPECT_EQ(merge(summary("a", "1/2", {"internal"}), summary("b", "2/2", {})).code, 4);
  EXPECT_EQ(merge(summary("a", "1/2", {"sideways"}), summary("b", "2/2", {})).code, 2);
}

}  // namespace
