// Process death and rebirth: how a kill unwinds fibers (RAII runs, nothing
// after the blocking call does, destructors neither block nor send), what
// NoThrowScope changes, what a restart starts afresh, what the disk keeps
// across a kill and a machine crash, and faults that meet a dead process.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "locklab/sim/world.hpp"
#include "story.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

using testing::got;
using testing::Story;

// A server that accepts one connection and tells what its first read got:
// the message, or how the connection ended.
std::function<void(Process&)> reads_one_message(Story& story) {
  return [&story](Process& p) {
    Listener listener = p.listen();
    SimResult<Socket> s = listener.accept();
    ASSERT_TRUE(s);
    story(p, got(s->recv()));
  };
}

std::string outcome(const SimResult<void>& r) {
  return r ? "ok" : std::string(name_of(r.error()));
}

// Counts its destructor runs: an RAII object on a fiber's stack.
struct Counted {
  int& destroyed;
  ~Counted() { ++destroyed; }
};

// The trace lines the world wrote about itself (skipped faults), without the
// process notes.
std::vector<std::string> world_notes(const World& world) {
  std::vector<std::string> notes;
  for (const TraceRecord& r : world.trace().records()) {
    if (r.kind == TraceKind::note && r.process == kNoProcess) {
      notes.push_back(fmt::format("{} {}", format_duration(r.at.time_since_epoch()), r.text));
    }
  }
  return notes;
}

// A kill unwinds every fiber of the process wherever it is blocked (sleep,
// Signal, accept): the objects on their stacks are destroyed, as they would
// be freed with the process's memory, and not one line after the blocking
// call runs. Other processes' fibers are untouched. Lock code relies on this:
// a killed holder does nothing more, and the harness leaks nothing.
TEST(Kill, UnwindsEveryFiberOfTheProcess) {
  int destroyed = 0;
  int ran_after_blocking = 0;
  World world({.seed = 1, .trace = {.keep_records = true}});
  auto victim = [&](Process& p) {
    Counted guard{destroyed};
    Signal never(p);
    p.spawn("sleeper", [&] {
      Counted g{destroyed};
      (void)p.sleep_for(1h);
      ++ran_after_blocking;
    });
    p.spawn("waiter", [&] {
      Counted g{destroyed};
      (void)never.wait();
      ++ran_after_blocking;
    });
    Listener listener = p.listen();
    (void)listener.accept();
    ++ran_after_blocking;
  };
  const ProcessId victim_id = world.add_process({.name = "victim", .main = victim});
  world.add_process({.name = "bystander", .main = [](Process& p) { (void)p.sleep_for(1h); }});
  world.schedule({true_time(10ms), ProcessKill{victim_id}});

  EXPECT_EQ(world.run_until(true_time(5ms)).status, RunStatus::reached_time);
  EXPECT_EQ(world.live_fibers(), 4u);
  EXPECT_EQ(world.run_until(true_time(1s)).status, RunStatus::reached_time);
  EXPECT_EQ(world.live_fibers(), 1u);  // the bystander's
  EXPECT_EQ(destroyed, 3);
  EXPECT_EQ(ran_after_blocking, 0);
  EXPECT_EQ(world.process(victim_id).state(), ProcessState::killed);
  int killed_fibers = 0;
  for (const TraceRecord& r : world.trace().records()) {
    if (r.kind == TraceKind::fiber_exit && r.process == victim_id) {
      EXPECT_EQ(r.at, true_time(10ms));
      EXPECT_EQ(r.b, static_cast<std::uint64_t>(FiberEnd::killed));
      ++killed_fibers;
    }
  }
  EXPECT_EQ(killed_fibers, 3);
}

// While a killed fiber unwinds, its destructors may call into the world (a
// lock guard releasing its lock): every call returns SimError::killed at
// once, without blocking and without sending. The peer learns of the death
// only from its kernel closing the socket (a FIN: nothing was left unread),
// never from a goodbye or a close of the client's own.
TEST(Kill, DestructorsSeeKilledAtOnceAndSendNothing) {
  // Says goodbye from the client's stack while the kill unwinds it.
  struct Goodbye {
    Process& p;
    Socket& socket;
    Story& story;
    ~Goodbye() {
      story(p, "sleep_for: " + outcome(p.sleep_for(1s)));
      story(p, "send: " + outcome(socket.send("bye")));
      socket.close();
    }
  };
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}, .trace = {.keep_records = true}});
  const ProcessId server_id =
      world.add_process({.name = "server", .main = reads_one_message(story)});
  auto client = [&](Process& p) {
    SimResult<Socket> s = p.connect(server_id, p.now() + 50ms);
    ASSERT_TRUE(s);
    Goodbye goodbye{p, *s, story};
    (void)p.sleep_for(1h);
  };
  const ProcessId client_id = world.add_process({.name = "client", .main = client});
  world.schedule({true_time(10ms), ProcessKill{client_id}});

  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_THAT(story.lines, ElementsAre("10ms client sleep_for: killed", "10ms client send: killed",
                                       "11ms server got connection_closed"));
  for (const TraceRecord& r : world.trace().records()) {
    if (r.process != client_id) continue;
    EXPECT_NE(r.kind, TraceKind::send);
    EXPECT_NE(r.kind, TraceKind::close);
  }
}

// Inside a NoThrowScope a killed process's blocking calls report
// SimError::killed as a value: the one in progress, and every later one at
// once. Code that must finish a step without exceptions (cleanup that is not
// a destructor) can thus see the kill and stop. Outside the scope, the next
// blocking call throws again and unwinds the fiber; a note in between is
// dropped without throwing (notes never throw).
TEST(Kill, NoThrowScopeReportsTheKillAsAValue) {
  Story story;
  World world({.seed = 1, .trace = {.keep_records = true}});
  auto worker = [&](Process& p) {
    {
      Process::NoThrowScope scope(p);
      story(p, "sleep_for(1h): " + outcome(p.sleep_for(1h)));
      story(p, "sleep_for(1s): " + outcome(p.sleep_for(1s)));
      story(p, "yield: " + outcome(p.yield()));
    }
    p.note("after the scope");
    story(p, "left the scope");
    (void)p.sleep_for(1s);
    story(p, "never");
  };
  const ProcessId worker_id = world.add_process({.name = "worker", .main = worker});
  world.schedule({true_time(10ms), ProcessKill{worker_id}});

  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_THAT(story.lines,
              ElementsAre("10ms worker sleep_for(1h): killed", "10ms worker sleep_for(1s): killed",
                          "10ms worker yield: killed", "10ms worker left the scope"));
  EXPECT_EQ(world.trace().count(TraceKind::note), 0u);
  EXPECT_EQ(world.live_fibers(), 0u);
}

// A restart is a new process on the same machine: main runs again from the
// top on a fresh stack (its locals start over), as incarnation 2, with a
// random stream of its own ("process/<name>/<incarnation>"), so a restarted
// client does not replay the choices of its first life.
TEST(Restart, RunsMainAgainAsANewIncarnation) {
  Story story;
  std::vector<std::uint64_t> first_draws;
  World world({.seed = 1});
  auto worker = [&](Process& p) {
    first_draws.push_back(p.rng().next_u64());
    for (int step = 1;; ++step) {
      story(p, fmt::format("life {} step {}", p.incarnation(), step));
      (void)p.sleep_for(4ms);
    }
  };
  const ProcessId worker_id = world.add_process({.name = "worker", .main = worker});
  world.schedule({true_time(10ms), ProcessKill{worker_id}});
  world.schedule({true_time(20ms), ProcessRestart{worker_id}});

  EXPECT_EQ(world.run_until(true_time(25ms)).status, RunStatus::reached_time);
  EXPECT_THAT(story.lines, ElementsAre("0ns worker life 1 step 1", "4ms worker life 1 step 2",
                                       "8ms worker life 1 step 3", "20ms worker life 2 step 1",
                                       "24ms worker life 2 step 2"));
  EXPECT_EQ(world.process(worker_id).incarnation(), 2u);
  ASSERT_EQ(first_draws.size(), 2u);
  EXPECT_NE(first_draws[0], first_draws[1]);
  EXPECT_EQ(first_draws[0], world.fork_rng("process/worker/1").next_u64());
  EXPECT_EQ(first_draws[1], world.fork_rng("process/worker/2").next_u64());
}

// What a process's second incarnation finds on its disk after the first one
// went down by `Down` (ProcessKill or MachineCrash). The first one wrote a
// synced line, then an unsynced one, and a scratch file it never synced.
struct DiskAfterRestart {
  std::optional<std::string> log;
  std::optional<std::string> scratch;
  std::vector<std::string> files;
};

template <typename Down>
DiskAfterRestart disk_after_restart() {
  DiskAfterRestart found;
  World world({.seed = 1});
  auto worker = [&](Process& p) {
    Disk& disk = p.disk();
    if (p.incarnation() == 1) {
      disk.append("log", "synced;");
      disk.fsync("log");
      disk.append("log", "cached;");
      disk.write("scratch", "never synced");
      (void)p.sleep_for(1h);
    } else {
      found = {disk.read("log"), disk.read("scratch"), disk.files()};
    }
  };
  const ProcessId worker_id = world.add_process({.name = "worker", .main = worker});
  world.schedule({true_time(10ms), Down{worker_id}});
  world.schedule({true_time(20ms), ProcessRestart{worker_id}});
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_EQ(world.process(worker_id).incarnation(), 2u);
  return found;
}

// A killed process's machine is up: the operating system still holds the
// page cache, so even writes never fsynced survive for the next incarnation.
TEST(Disk, KillKeepsWritesThatWereNeverSynced) {
  const DiskAfterRestart found = disk_after_restart<ProcessKill>();
  EXPECT_EQ(found.log, "synced;cached;");
  EXPECT_EQ(found.scratch, "never synced");
  EXPECT_THAT(found.files, ElementsAre("log", "scratch"));
}

// A machine crash is power loss: each file reverts to its last fsync, and a
// file never synced is gone. This is what makes an AOF without fsync unsafe.
TEST(Disk, MachineCrashKeepsOnlySyncedData) {
  const DiskAfterRestart found = disk_after_restart<MachineCrash>();
  EXPECT_EQ(found.log, "synced;");
  EXPECT_EQ(found.scratch, std::nullopt);
  EXPECT_THAT(found.files, ElementsAre("log"));
}

// A kill does not wait for a pause to end: a process stopped by a pause is
// killed on the spot (its sleep never completes, its stack is unwound). The
// resume that was scheduled for it later no longer applies and is skipped
// with a note, not an error: shrinking a fault schedule must leave every
// subset runnable.
TEST(Kill, PausedProcessIsKilledAnyway) {
  int destroyed = 0;
  bool woke = false;
  World world({.seed = 1, .trace = {.keep_records = true}});
  auto victim = [&](Process& p) {
    Counted guard{destroyed};
    (void)p.sleep_for(50ms);
    woke = true;
  };
  const ProcessId victim_id = world.add_process({.name = "victim", .main = victim});
  world.schedule({true_time(10ms), ProcessPause{victim_id}});
  world.schedule({true_time(20ms), ProcessKill{victim_id}});
  world.schedule({true_time(30ms), ProcessResume{victim_id}});

  EXPECT_EQ(world.run_until(true_time(25ms)).status, RunStatus::reached_time);
  EXPECT_EQ(world.process(victim_id).state(), ProcessState::killed);
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(world.live_fibers(), 0u);
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_FALSE(woke);
  EXPECT_THAT(world_notes(world),
              ElementsAre("30ms fault skipped: resume victim: process is killed"));
}

// A resume for a process that is running (never paused, or resumed twice) is
// skipped with a note and changes nothing: the process's sleep ends on time.
TEST(Kill, ResumeOfARunningProcessIsSkipped) {
  TrueTime woke{};
  World world({.seed = 1, .trace = {.keep_records = true}});
  auto worker = [&](Process& p) {
    ASSERT_TRUE(p.sleep_for(50ms));
    woke = world.true_now();
  };
  const ProcessId worker_id = world.add_process({.name = "worker", .main = worker});
  world.schedule({true_time(10ms), ProcessResume{worker_id}});

  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_EQ(woke, true_time(50ms));
  EXPECT_THAT(world_notes(world),
              ElementsAre("10ms fault skipped: resume worker: process is running"));
}

// Every fault that cannot apply when it comes due is listed by the world,
// with its index in the schedule, its time, the fault in words and why —
// a restart of a running process, a resume of one not paused, a pause and a
// kill of one already killed, a crash of a machine already down, and a heal
// of links that are not cut. Faults that do apply (the first kill, the
// crash of a killed process's machine, a heal of a real cut) are not
// listed. A heal of nothing is traced as every heal is, not as a note, so
// recording it changes no trace hash.
TEST(Kill, FaultsThatCannotApplyAreListedWithTheirIndexAndWhy) {
  World world({.seed = 1, .trace = {.keep_records = true}});
  auto idle = [](Process& p) { (void)p.sleep_for(1h); };
  const ProcessId a = world.add_process({.name = "a", .main = idle});
  const ProcessId b = world.add_process({.name = "b", .main = idle});
  const ProcessId c = world.add_process({.name = "c", .main = idle});
  world.schedule(FaultSchedule{{true_time(1ms), ProcessRestart{a}},                // 0: a is running
                  {true_time(2ms), ProcessResume{a}},                 // 1: a is not paused
                  {true_time(3ms), ProcessKill{b}},                   // 2: applies
                  {true_time(4ms), ProcessPause{b}},                  // 3: b is killed
                  {true_time(5ms), ProcessKill{b}},                   // 4: b is not up
                  {true_time(6ms), MachineCrash{b}},                  // 5: applies (the machine was up)
                  {true_time(7ms), MachineCrash{b}},                  // 6: already down
                  {true_time(8ms), LinkHeal{{a}, {c}}},               // 7: nothing is cut
                  {true_time(9ms), LinkPartition{{a}, {c}}},          // 8: applies
                  {true_time(10ms), LinkHeal{{c}, {a}, true}},        // 9: heals the c -> a half
                  {true_time(11ms), LinkHeal{{a}, {c}, true}},        // 10: heals a -> c
                  {true_time(12ms), LinkHeal{{a}, {c}}}});            // 11: nothing is cut now
  EXPECT_EQ(world.run_until(true_time(20ms)).status, RunStatus::reached_time);

  std::vector<std::string> listed;
  for (const InapplicableFault& f : world.inapplicable_faults()) {
    ASSERT_TRUE(f.index.has_value());
    listed.push_back(fmt::format("#{} {} {}: {}", *f.index, format_duration(f.at.time_since_epoch()), f.what, f.why));
  }
  EXPECT_THAT(listed, ElementsAre("#0 1ms restart a: process is up", "#1 2ms resume a: process is running",
                                  "#3 4ms pause b: process is killed", "#4 5ms kill b: process is not up",
                                  "#6 7ms crash b: machine is already down",
                                  "#7 8ms heal a <-> c: no link it names is cut",
                                  "#11 12ms heal a <-> c: no link it names is cut"));
  EXPECT_THAT(world_notes(world),
              ElementsAre("1ms fault skipped: restart a: process is up", "2ms fault skipped: resume a: process is running",
                          "4ms fault skipped: pause b: process is killed", "5ms fault skipped: kill b: process is not up",
                          "7ms fault skipped: crash b: machine is already down"));
}

// A fault applied directly (World::apply, not scheduled) has no index.
TEST(Kill, AFaultAppliedDirectlyThatCannotApplyHasNoIndex) {
  World world({.seed = 1});
  const ProcessId a = world.add_process({.name = "a", .main = [](Process& p) { (void)p.sleep_for(1h); }});
  EXPECT_EQ(world.run_until(true_time(1ms)).status, RunStatus::reached_time);
  world.apply(ProcessResume{a});
  ASSERT_EQ(world.inapplicable_faults().size(), 1u);
  EXPECT_EQ(world.inapplicable_faults()[0].index, std::nullopt);
  EXPECT_EQ(world.inapplicable_faults()[0].what, "resume a");
}

// A process whose main function returns has exited, like a real process:
// the fibers it spawned are unwound wherever they are blocked (RAII runs,
// nothing after the call does), and its kernel closes its connections
// gracefully, so the peer reads end of stream rather than a reset.
TEST(Kill, MainReturningUnwindsTheOtherFibers) {
  int destroyed = 0;
  bool ran_after_blocking = false;
  Story story;
  World world({.seed = 1, .latency = FixedLatency{1ms}});
  const ProcessId server_id =
      world.add_process({.name = "server", .main = reads_one_message(story)});
  auto worker = [&](Process& p) {
    p.spawn("helper", [&] {
      Counted guard{destroyed};
      SimResult<Socket> s = p.connect(server_id, p.now() + 50ms);
      ASSERT_TRUE(s);
      (void)s->recv();
      ran_after_blocking = true;
    });
    ASSERT_TRUE(p.sleep_for(10ms));
    story(p, "main returns");
  };
  const ProcessId worker_id = world.add_process({.name = "worker", .main = worker});

  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_THAT(story.lines,
              ElementsAre("10ms worker main returns", "11ms server got connection_closed"));
  EXPECT_EQ(world.process(worker_id).state(), ProcessState::exited);
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(ran_after_blocking);
  EXPECT_EQ(world.live_fibers(), 0u);
}

// The C++ runtime counts exceptions in flight per thread; the world keeps
// that count per fiber. Process A blocks in a destructor while its own
// exception unwinds; process B, killed meanwhile, must still be unwound by
// an exception (not see A's unwinding as its own and carry on).
TEST(Kill, AnotherFibersUnwindingDoesNotSoftenAKill) {
  World world;
  struct SleepsWhileUnwinding {
    Process& p;
    ~SleepsWhileUnwinding() { (void)p.sleep_for(10ms); }
  };
  bool a_caught = false;
  bool b_ran_after_kill = false;
  world.add_process({.name = "a", .main = [&](Process& p) {
                       try {
                         SleepsWhileUnwinding blocker{p};
                         (void)p.sleep_for(1ms);
                         throw std::runtime_error("a's own error");
                       } catch (const std::runtime_error&) {
                         a_caught = true;
                       }
                       (void)p.sleep_for(1h);
                     }});
  const ProcessId b = world.add_process({.name = "b", .main = [&](Process& p) {
                                           (void)p.sleep_for(5ms);
                                           b_ran_after_kill = true;
                                         }});
  world.schedule({true_time(2ms), ProcessKill{b}});
  world.run_until(true_time(20ms));
  EXPECT_TRUE(a_caught);
  EXPECT_FALSE(b_ran_after_kill);
  EXPECT_EQ(world.trace().count(TraceKind::process_kill), 1u);
}

// Two fibers block inside catch blocks at overlapping times. Each keeps its
// own exception: leaving one catch block must not free the other's (ASan
// would report the use after free).
TEST(Kill, FibersBlockingInsideCatchBlocksKeepTheirOwnExceptions) {
  World world;
  std::vector<std::string> seen;
  auto worker = [&](std::string name, Duration first, Duration second) {
    return [&seen, name, first, second](Process& p) {
      try {
        throw std::runtime_error(name + "'s error");
      } catch (const std::runtime_error& e) {
        (void)p.sleep_for(first);
        seen.push_back(e.what());
        (void)p.sleep_for(second);
        seen.push_back(e.what());
      }
    };
  };
  world.add_process({.name = "x", .main = worker("x", 1ms, 10ms)});
  world.add_process({.name = "y", .main = worker("y", 2ms, 1ms)});
  EXPECT_EQ(world.run().status, RunStatus::idle);
  EXPECT_THAT(seen, ElementsAre("x's error", "y's error", "y's error", "x's error"));
}

}  // namespace
}  // namespace locklab::sim
