#include "headline.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

#include "locklab/scenarios/cause.hpp"
#include "locklab/scenarios/report.hpp"
#include "locklab/scenarios/scenario_file.hpp"

namespace locklab::tools {
namespace {

using Kind = properties::Verdict::Kind;

// A finding that only fencing can fix: the stale write (resource safety),
// with no two clients believing at once.
bool stale_write_only(const scenarios::Finding& f) {
  return f.violated == std::vector<std::string>{"resource_safety"};
}

}  // namespace

HeadlineResult run_headline(const HeadlineOptions& o, std::ostream& out) {
  HeadlineResult result;
  out << "locklab demo: looking for a counterexample to the unfenced single-node lock\n"
      << "  (SET NX PX + Lua compare-and-delete), beyond its assumptions: client pauses and\n"
      << "  message delays only, 20 faults per world, 10 simulated seconds each.\n\n";

  // 1. Explore, one seed at a time, until the first stale write.
  for (std::uint64_t seed = o.first_seed; seed < o.first_seed + o.max_seeds && !result.finding; ++seed) {
    scenarios::ExploreOptions e{
        .generator = {.algorithm = scenarios::Algorithm::single_node, .mode = scenarios::Mode::beyond,
                      .classes = {scenarios::FaultClass::client_pause, scenarios::FaultClass::delay},
                      .fencing = false},
        .first_seed = seed, .seeds = 1, .shrink = false};
    scenarios::ExploreSummary s = scenarios::explore(e);
    ++result.worlds;
    if (!s.findings.empty() && stale_write_only(s.findings.front())) result.finding = std::move(s.findings.front());
  }
  if (!result.finding) {
    out << fmt::format("no counterexample in {} worlds\n", result.worlds);
    return result;
  }
  scenarios::Finding& f = *result.finding;
  out << fmt::format("1. explore: seed {} fails after {} worlds: {}\n", f.seed, result.worlds,
                     f.summary.substr(0, f.summary.find("; ")));
  out << fmt::format("   the world: {}\n", scenarios::describe_scenario(f.original));

  // 2. Shrink.
  f.shrunk = scenarios::shrink(f.original, f.checker);
  const scenarios::ShrinkResult& shrunk = *f.shrunk;
  f.causes = scenarios::cause_classes(shrunk.scenario);
  const std::size_t faults = shrunk.scenario.faults.size(), clients = shrunk.scenario.clients.size();
  out << fmt::format("2. shrink: {} worlds run; {} fault{} and {} client{} left{}\n", shrunk.runs, faults,
                     faults == 1 ? "" : "s", clients, clients == 1 ? "" : "s",
                     shrunk.minimal ? " (locally minimal: none can go)" : " (budget ran out)");

  // 3. Write the scenario file.
  result.counterexample = scenarios::counterexample_of(f, "beyond");
  result.file = o.out / fmt::format("single_node-beyond-seed-{}.toml", f.seed);
  std::filesystem::create_directories(o.out);
  {
    std::ofstream file(result.file, std::ios::binary);
    file << scenarios::to_toml(result.counterexample);
    if (!file.flush()) throw std::runtime_error("cannot write " + result.file.string());
  }
  out << fmt::format("3. wrote {}\n", result.file.string());

  // 4. Replay it from the file.
  const scenarios::Scenario loaded = scenarios::load_scenario(result.file);
  const scenarios::RunReport replay = scenarios::run_scenario(loaded);
  result.replay_matches = loaded == result.counterexample && loaded.trace_hash == replay.trace_hash &&
                          scenarios::expectation_mismatches(loaded, replay).empty();
  out << fmt::format("4. replay from the file: trace hash {:016x} {} the recorded one; verdicts {}\n",
                     replay.trace_hash, loaded.trace_hash == replay.trace_hash ? "equals" : "DIFFERS FROM",
                     scenarios::expectation_mismatches(loaded, replay).empty() ? "as recorded" : "DIFFER");
  out << "\n" << scenarios::format_report(loaded, replay) << "\n";

  // 5. The same schedule with fencing on.
  result.fenced = loaded;
  result.fenced.algorithm.fencing = true;
  result.fenced.storage.fenced = true;
  result.fenced.expect.clear();
  result.fenced.trace_hash.reset();
  result.fenced_report = scenarios::run_scenario(result.fenced);
  result.fenced_safe = !result.fenced_report.any_violation();
  const properties::Verdict* rs = result.fenced_report.verdict("resource_safety");
  out << fmt::format("5. the same schedule with fencing tokens: {} ({} of {} writes rejected as stale)\n",
                     result.fenced_safe ? "safe" : "STILL UNSAFE", [&] {
                       int n = 0;
                       for (const history::StorageWrite& w : result.fenced_report.storage.writes()) n += !w.accepted;
                       return n;
                     }(), result.fenced_report.storage.writes().size());
  out << "   resource_safety: " << (rs != nullptr ? rs->summary : "?") << "\n";
  out << fmt::format("\nreproduce: locklab replay {}\n", result.file.string());
  return result;
}

}  // namespace locklab::tools
