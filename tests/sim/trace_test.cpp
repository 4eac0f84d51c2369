// Trace: the chained hash (sensitive to every hashed field and to order),
// JSON Lines output, kept records, counts and the summary.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "locklab/sim/trace.hpp"

namespace locklab::sim {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

struct Rec {
  TrueTime at = true_time(1500us);
  ProcessId process{3};
  LocalTime local = local_time(1600us);
  TraceKind kind = TraceKind::send;
  std::uint64_t a = 7;
  std::uint64_t b = 4;
  std::string text = "PING";
};

std::uint64_t hash_of(const std::vector<Rec>& records) {
  Trace t;
  for (const Rec& r : records) t.record(r.at, r.process, r.local, r.kind, r.a, r.b, r.text);
  return t.hash();
}

// The same records in the same order give the same hash, in separate traces.
TEST(Trace, SameRecordsSameHash) {
  const std::vector<Rec> records = {Rec{}, Rec{.kind = TraceKind::deliver}, Rec{.text = ""}};
  EXPECT_EQ(hash_of(records), hash_of(records));
  EXPECT_NE(hash_of(records), Trace{}.hash());
}

// An empty trace's hash is the FNV-1a offset basis; one record moves it.
TEST(Trace, EmptyTraceHashIsTheOffsetBasis) {
  Trace t;
  EXPECT_EQ(t.hash(), 0xcbf29ce484222325ULL);
  EXPECT_EQ(t.size(), 0u);
  t.record(TrueTime{}, kNoProcess, LocalTime{}, TraceKind::note);
  EXPECT_NE(t.hash(), 0xcbf29ce484222325ULL);
}

// Changing any one hashed field of a record (time, process, local time,
// kind, a, b, text) changes the hash, and every variant differs from every
// other.
TEST(Trace, EveryFieldChangesTheHash) {
  const Rec base;
  std::vector<Rec> variants(8, base);
  variants[1].at += 1ns;
  variants[2].process = ProcessId{4};
  variants[3].local += 1ns;
  variants[4].kind = TraceKind::deliver;
  variants[5].a = 8;
  variants[6].b = 5;
  variants[7].text = "PONG";
  std::set<std::uint64_t> hashes;
  for (const Rec& v : variants) hashes.insert(hash_of({Rec{.text = "before"}, v}));
  EXPECT_EQ(hashes.size(), variants.size());
}

// High bytes of the 64-bit fields count too (all eight bytes are hashed),
// and negative times are distinct from positive ones.
TEST(Trace, HighBytesAndSignsCount) {
  EXPECT_NE(hash_of({Rec{.a = 1}}), hash_of({Rec{.a = 1 | (1ULL << 63)}}));
  EXPECT_NE(hash_of({Rec{.b = 0}}), hash_of({Rec{.b = 1ULL << 56}}));
  EXPECT_NE(hash_of({Rec{.local = local_time(-5ns)}}), hash_of({Rec{.local = local_time(5ns)}}));
  EXPECT_NE(hash_of({Rec{.process = kNoProcess}}), hash_of({Rec{.process = ProcessId{0}}}));
}

// The text length is hashed, so moving bytes from one record's text to the
// next record's is a different trace.
TEST(Trace, TextBoundariesCount) {
  EXPECT_NE(hash_of({Rec{.text = "ab"}, Rec{.text = "c"}}),
            hash_of({Rec{.text = "a"}, Rec{.text = "bc"}}));
  EXPECT_NE(hash_of({Rec{.text = ""}}), hash_of({Rec{.text = std::string(1, '\0')}}));
}

// Order matters: the same two records swapped give another hash.
TEST(Trace, OrderMatters) {
  const Rec x{.a = 1};
  const Rec y{.a = 2};
  EXPECT_NE(hash_of({x, y}), hash_of({y, x}));
  EXPECT_NE(hash_of({x, x}), hash_of({x}));
}

// Process names are labels, not behaviour: naming a process leaves the hash
// as it is.
TEST(Trace, ProcessNamesAreNotHashed) {
  Trace named;
  named.name_process(ProcessId{3}, "server");
  named.record(true_time(1s), ProcessId{3}, local_time(1s), TraceKind::note, 0, 0, "x");
  EXPECT_EQ(named.hash(), hash_of({Rec{.at = true_time(1s),
                                       .local = local_time(1s),
                                       .kind = TraceKind::note,
                                       .a = 0,
                                       .b = 0,
                                       .text = "x"}}));
}

// Each record is one JSON line with seq, t_ns, process (by name), local_ns,
// kind (by name), a, b and text; an unnamed process is shown as p<index>.
TEST(Trace, JsonLinesHaveEveryField) {
  std::ostringstream out;
  Trace t({.jsonl = &out});
  t.name_process(ProcessId{1}, "server");
  t.record(true_time(1500us), ProcessId{1}, local_time(1600us), TraceKind::send, 7, 4, "PING");
  t.record(true_time(2s), ProcessId{2}, local_time(-3ns), TraceKind::deliver, 8,
           ~std::uint64_t{0}, "say \"hi\"\n");

  std::istringstream lines(out.str());
  std::vector<nlohmann::json> parsed;
  for (std::string line; std::getline(lines, line);) parsed.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(parsed.size(), 2u);

  const nlohmann::json& first = parsed[0];
  EXPECT_EQ(first.at("seq").get<std::uint64_t>(), 0u);
  EXPECT_EQ(first.at("t_ns").get<std::int64_t>(), 1'500'000);
  EXPECT_EQ(first.at("process").get<std::string>(), "server");
  EXPECT_EQ(first.at("local_ns").get<std::int64_t>(), 1'600'000);
  EXPECT_EQ(first.at("kind").get<std::string>(), "send");
  EXPECT_EQ(first.at("a").get<std::uint64_t>(), 7u);
  EXPECT_EQ(first.at("b").get<std::uint64_t>(), 4u);
  EXPECT_EQ(first.at("text").get<std::string>(), "PING");

  const nlohmann::json& second = parsed[1];
  EXPECT_EQ(second.at("seq").get<std::uint64_t>(), 1u);
  EXPECT_EQ(second.at("t_ns").get<std::int64_t>(), 2'000'000'000);
  EXPECT_EQ(second.at("process").get<std::string>(), "p2");
  EXPECT_EQ(second.at("local_ns").get<std::int64_t>(), -3);
  EXPECT_EQ(second.at("kind").get<std::string>(), "deliver");
  EXPECT_EQ(second.at("b").get<std::uint64_t>(), ~std::uint64_t{0});
  EXPECT_EQ(second.at("text").get<std::string>(), "say \"hi\"\n");
}

// Message bytes that are not UTF-8 still produce a parseable line.
TEST(Trace, JsonLinesSurviveBinaryText) {
  std::ostringstream out;
  Trace t({.jsonl = &out});
  t.record(TrueTime{}, ProcessId{0}, LocalTime{}, TraceKind::deliver, 1, 3,
           std::string("\xff\xfe\x00", 3));
  const std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  const nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j.at("kind").get<std::string>(), "deliver");
  EXPECT_TRUE(j.at("text").is_string());
}

// keep_records keeps every record with its fields and a rising seq; without
// it nothing is kept, but size and per-kind counts are still tracked.
TEST(Trace, KeepRecordsKeepsThem) {
  Trace kept({.keep_records = true});
  Trace bare;
  for (Trace* t : {&kept, &bare}) {
    t->record(true_time(1s), ProcessId{0}, local_time(2s), TraceKind::note, 1, 2, "one");
    t->record(true_time(3s), ProcessId{5}, local_time(4s), TraceKind::timer, 9);
    t->record(true_time(5s), kNoProcess, LocalTime{}, TraceKind::note, 0, 0, "three");
  }
  ASSERT_EQ(kept.records().size(), 3u);
  EXPECT_TRUE(bare.records().empty());
  EXPECT_EQ(kept.hash(), bare.hash());

  const TraceRecord& r = kept.records()[1];
  EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(r.at, true_time(3s));
  EXPECT_EQ(r.process, ProcessId{5});
  EXPECT_EQ(r.local, local_time(4s));
  EXPECT_EQ(r.kind, TraceKind::timer);
  EXPECT_EQ(r.a, 9u);
  EXPECT_EQ(r.b, 0u);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(kept.records()[0].text, "one");
  EXPECT_EQ(kept.records()[2].seq, 2u);

  for (const Trace* t : {&kept, &bare}) {
    EXPECT_EQ(t->size(), 3u);
    EXPECT_EQ(t->count(TraceKind::note), 2u);
    EXPECT_EQ(t->count(TraceKind::timer), 1u);
    EXPECT_EQ(t->count(TraceKind::deliver), 0u);
  }
}

// Every kind has a distinct, non-empty name (the JSON and summary use them).
TEST(Trace, KindNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kTraceKindCount; ++i) {
    const std::string_view name = name_of(static_cast<TraceKind>(i));
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kTraceKindCount);
  EXPECT_EQ(name_of(TraceKind::process_start), "process_start");
  EXPECT_EQ(name_of(TraceKind::connection_reset_fault), "connection_reset_fault");
}

// summary() gives the record count, the hash in hex and a line per kind that
// occurred (with its count), and leaves out kinds that did not.
TEST(Trace, SummaryNamesKindsAndHash) {
  Trace t;
  for (int i = 0; i < 3; ++i) t.record(TrueTime{}, ProcessId{0}, LocalTime{}, TraceKind::deliver);
  t.record(TrueTime{}, ProcessId{0}, LocalTime{}, TraceKind::disk_sync, 0, 0, "aof");
  const std::string s = t.summary();
  EXPECT_THAT(s, HasSubstr(fmt::format("{:016x}", t.hash())));
  EXPECT_THAT(s, HasSubstr("4 records"));
  EXPECT_THAT(s, ::testing::ContainsRegex("deliver +3"));
  EXPECT_THAT(s, ::testing::ContainsRegex("disk_sync +1"));
  EXPECT_THAT(s, ::testing::Not(HasSubstr("process_start")));
}

}  // namespace
}  // namespace locklab::sim
