// Reading a scenario file: the top level, [cluster], [algorithm], [storage]
// and [[client]]. Faults are in scenario_file_faults.cpp, expectations in
// scenario_file_expect.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "file_names.hpp"
#include "file_parts.hpp"
#include "steps_file.hpp"

namespace locklab::scenarios {

namespace {

using detail::Origin;
using detail::Origins;
using detail::Sign;
using detail::TableReader;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Each [[x]] entry must be a table (an inline array of strings is not).
const toml::table& entry_table(const TableReader& parent, std::string_view key, const toml::node& entry,
                               std::size_t index) {
  if (const auto* t = entry.as_table()) return *t;
  detail::fail_at(parent.file(), entry.source(), fmt::format("{}[{}]", parent.field(key), index),
                  "must be a table (write [[" + parent.field(key) + "]])");
}

sim::ClockSpec read_clock(const TableReader& t, sim::ClockSpec clock) {
  if (auto offset = t.duration("clock_offset", Sign::any)) clock.offset = *offset;
  if (auto drift = t.integer("drift_ppm", detail::kMinDriftPpm, detail::kMaxDriftPpm)) clock.drift_ppm = *drift;
  return clock;
}

std::uint64_t read_seed(const TableReader& top) {
  const toml::node* node = top.find("seed");
  if (node == nullptr) return Scenario{}.seed;
  if (node->as_integer() != nullptr) return static_cast<std::uint64_t>(*top.integer("seed", 0, kInt64Max));
  // TOML integers stop at 2^63 - 1; larger seeds are written as strings.
  if (const auto* s = node->as_string()) {
    const std::string& text = s->get();
    std::uint64_t value = 0;
    bool ok = !text.empty() && text.size() <= 20;
    for (const char c : text) {
      if (c < '0' || c > '9') ok = false;
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (ok && value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) ok = false;
      if (ok) value = value * 10 + digit;
    }
    if (ok) return value;
  }
  top.fail("seed", "must be an integer from 0, or a string of decimal digits up to 2^64 - 1 (got " +
                       detail::value_text(*node) + ")");
}

std::optional<std::uint64_t> read_trace_hash(const TableReader& top) {
  std::optional<std::string> text = top.string("trace_hash");
  if (!text) return std::nullopt;
  std::string_view digits = *text;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  std::uint64_t value = 0;
  bool ok = !digits.empty() && digits.size() <= 16;
  for (const char c : digits) {
    const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                   : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) ok = false;
    if (ok) value = value * 16 + static_cast<std::uint64_t>(v);
  }
  if (!ok) {
    top.fail("trace_hash", "must be 1 to 16 hex digits, like \"0x9f86d081884c7d65\" (got " +
                               detail::value_text(*top.find("trace_hash")) + ")");
  }
  return value;
}

// The "latency" key of `cluster` (the [cluster] table or a [[cluster.link]]).
sim::LatencyModel read_latency(const TableReader& cluster) {
  const toml::node* node = cluster.find("latency");
  if (node == nullptr) return ClusterSpec{}.latency;
  if (node->as_string() != nullptr) return sim::FixedLatency{*cluster.duration("latency", Sign::non_negative)};
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    cluster.fail("latency", "must be a duration like \"100us\" or a table like { kind = \"uniform\", "
                            "min = \"50us\", max = \"2ms\" } (got " + detail::value_text(*node) + ")");
  }
  const TableReader t(cluster.file(), *table, cluster.field("latency"));
  const std::string kind = t.required_string("kind");
  if (kind == "fixed") {
    t.allow_only({"kind", "value"}, "a fixed latency");
    return sim::FixedLatency{t.required_duration("value", Sign::non_negative)};
  }
  if (kind == "uniform") {
    t.allow_only({"kind", "min", "max"}, "a uniform latency");
    return sim::UniformLatency{t.required_duration("min", Sign::non_negative),
                               t.required_duration("max", Sign::non_negative)};
  }
  if (kind == "heavy_tail") {
    t.allow_only({"kind", "base", "cap"}, "a heavy_tail latency");
    return sim::HeavyTailLatency{t.required_duration("base", Sign::non_negative),
                                 t.required_duration("cap", Sign::non_negative)};
  }
  t.fail("kind", "must be one of \"fixed\", \"uniform\", \"heavy_tail\" (got " +
                     detail::value_text(*t.find("kind")) + ")");
}

MasterSpec read_master(const TableReader& t) {
  t.allow_only({"name", "persistence", "restart_delay", "load_time", "replicas", "clock_offset", "drift_ppm"},
               "a master");
  MasterSpec m;
  m.name = t.required_string("name");
  if (auto p = t.one_of<sim::redis::Persistence>("persistence", detail::kPersistenceNames)) m.persistence = *p;
  if (auto d = t.duration("restart_delay", Sign::non_negative)) m.restart_delay = *d;
  if (auto d = t.millis("load_time", Sign::non_negative)) m.load_time = *d;
  if (auto r = t.small_int("replicas", 0, detail::kMaxReplicas)) m.replicas = *r;
  m.clock = read_clock(t, m.clock);
  return m;
}

// [[cluster.preset]]: node, key, then value = "text" or counter = N.
PresetSpec read_preset(const TableReader& t) {
  t.allow_only({"node", "key", "value", "counter", "ttl"}, "a preset key");
  PresetSpec p;
  p.node = t.required_string("node");
  p.key = t.required_string("key");
  if (p.key.empty()) t.fail("key", "must not be empty");
  if (t.has("value") && t.has("counter")) t.fail("counter", "give value = \"...\" or counter = N, not both");
  if (auto v = t.string("value")) {
    p.value = std::move(*v);
  } else if (auto n = t.integer("counter", 0, kInt64Max)) {
    p.value = std::to_string(*n);  // a fencing counter is a key holding an integer
  } else {
    t.fail("value", "is required: value = \"...\" (or counter = N for a fencing counter)");
  }
  p.ttl = t.millis("ttl", Sign::positive);
  return p;
}

// [[cluster.link]]: between = ["a", "b"] and a latency; names are checked
// by validate(), once every process is known.
LinkSpec read_link(const TableReader& t) {
  t.allow_only({"between", "latency"}, "a link");
  const toml::array* between = t.array("between");
  if (between == nullptr) t.fail("between", "is required: between = [\"one process\", \"another\"]");
  if (between->size() != 2) {
    t.fail("between", fmt::format("must be two process names, like [\"c-1\", \"redis-2\"] (got {})",
                                  between->size() == 1 ? std::string("one") : std::to_string(between->size())));
  }
  std::vector<std::string> ends;
  for (const toml::node& end : *between) {
    const auto* name = end.as_string();
    if (name == nullptr) {
      detail::fail_at(t.file(), end.source(), t.field("between"),
                      "must be two process names (got " + detail::value_text(end) + ")");
    }
    ends.push_back(name->get());
  }
  if (!t.has("latency")) t.fail("latency", "is required, like \"5ms\" or { kind = \"fixed\", value = \"5ms\" }");
  return {.a = std::move(ends[0]), .b = std::move(ends[1]), .latency = read_latency(t)};
}

void read_presets_and_links(const TableReader& cluster, int format, Scenario& s, Origins& origins) {
  for (const std::string_view key : {"preset", "link"}) {
    const toml::array* entries = cluster.array(key);
    if (entries == nullptr) continue;
    if (format < 2) cluster.fail(key, fmt::format("[[cluster.{}]] needs format = 2 at the top of the file", key));
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const toml::table& entry = entry_table(cluster, key, *entries->get(i), i);
      const TableReader t(cluster.file(), entry, fmt::format("cluster.{}[{}]", key, i));
      if (key == "preset") {
        s.cluster.presets.push_back(read_preset(t));
        origins.presets.push_back({t.path(), &entry, t.find("node")});
      } else {
        s.cluster.links.push_back(read_link(t));
        origins.links.push_back({t.path(), &entry, t.find("between")});
      }
    }
  }
}

void read_cluster(const TableReader& top, int format, Scenario& s, Origins& origins, std::size_t& processes) {
  const toml::table* table = top.subtable("cluster");
  if (table == nullptr) return;  // validate() will say a master is needed
  const TableReader cluster(top.file(), *table, "cluster");
  cluster.allow_only({"latency", "discovery_delay", "masters", "master", "preset", "link"}, "[cluster]");
  read_presets_and_links(cluster, format, s, origins);
  s.cluster.latency = read_latency(cluster);
  if (auto d = cluster.duration("discovery_delay", Sign::non_negative)) s.cluster.discovery_delay = *d;
  if (cluster.has("masters") && cluster.has("master")) {
    cluster.fail("masters", "give either masters = N or [[cluster.master]] tables, not both");
  }
  if (auto n = cluster.small_int("masters", 1, detail::kMaxMasters)) {
    // The shorthand: redis-0 .. redis-(N-1), every setting at its default.
    for (int i = 0; i < *n; ++i) {
      s.cluster.masters.push_back({.name = fmt::format("redis-{}", i)});
      origins.masters.push_back({cluster.field("masters"), table, cluster.find("masters")});
    }
    processes += static_cast<std::size_t>(*n);
  }
  const toml::array* masters = cluster.array("master");
  if (masters == nullptr) return;
  for (std::size_t i = 0; i < masters->size(); ++i) {
    const toml::table& entry = entry_table(cluster, "master", *masters->get(i), i);
    const TableReader t(top.file(), entry, fmt::format("cluster.master[{}]", i));
    if (s.cluster.masters.size() >= static_cast<std::size_t>(detail::kMaxMasters)) {
      t.fail("name", fmt::format("more than {} masters", detail::kMaxMasters));
    }
    s.cluster.masters.push_back(read_master(t));
    origins.masters.push_back({t.path(), &entry, t.find("name")});
    processes += 1 + static_cast<std::size_t>(s.cluster.masters.back().replicas);
    if (processes > detail::kMaxProcesses) t.fail("replicas", fmt::format("more than {} processes", detail::kMaxProcesses));
  }
}

// drift_factor is written as a fraction and kept as integer ppm. Only a
// fraction that is exactly a whole number of ppm (as a double reads back)
// is accepted, so the file and the Scenario mean the same number.
std::int64_t read_drift_ppm(const TableReader& t) {
  const toml::node* node = t.find("drift_factor");
  double factor = 0;
  if (const auto* f = node->as_floating_point()) {
    factor = f->get();
  } else if (const auto* i = node->as_integer()) {
    if (i->get() != 0) t.fail("drift_factor", "must be in [0, 1) (got " + std::to_string(i->get()) + ")");
    return 0;
  } else {
    t.fail("drift_factor", "must be a number like 0.01 (got " + detail::value_text(*node) + ")");
  }
  if (!(factor >= 0.0 && factor < 1.0)) {
    t.fail("drift_factor", "must be in [0, 1) (got " + detail::value_text(*node) + ")");
  }
  const std::int64_t ppm = std::llround(factor * 1e6);
  if (static_cast<double>(ppm) / 1e6 != factor) {
    t.fail("drift_factor", "must be a whole number of parts per million, at most 6 decimals (got " +
                               detail::value_text(*node) + ")");
  }
  return ppm;
}

void read_algorithm_fields(const TableReader& t, int format, AlgorithmSpec& a);

void read_algorithm(const TableReader& top, int format, Scenario& s) {
  const toml::table* table = top.subtable("algorithm");
  if (table == nullptr) return;
  const TableReader t(top.file(), *table, "algorithm");
  t.allow_only({"kind", "ttl", "drift_factor", "quorum", "node_timeout", "retry_count", "retry_delay",
                "retry_jitter", "fencing", "return_early", "fan_out"},
               "[algorithm]");
  read_algorithm_fields(t, format, s.algorithm);
}

// [[lock]]: a named lock, the [algorithm] keys plus its name and masters.
void read_locks(const TableReader& top, int format, Scenario& s) {
  const toml::array* locks = top.array("lock");
  if (locks == nullptr) return;
  if (format < 2) top.fail("lock", "named locks need format = 2 at the top of the file");
  for (std::size_t i = 0; i < locks->size(); ++i) {
    const toml::table& entry = entry_table(top, "lock", *locks->get(i), i);
    const TableReader t(top.file(), entry, fmt::format("lock[{}]", i));
    t.allow_only({"name", "masters", "kind", "ttl", "drift_factor", "quorum", "node_timeout", "retry_count",
                  "retry_delay", "retry_jitter", "fencing", "return_early", "fan_out"},
                 "a lock");
    LockSpec l;
    l.name = t.required_string("name");
    if (l.name.empty()) t.fail("name", "must not be empty");
    for (const LockSpec& other : s.locks) {
      if (other.name == l.name) t.fail("name", fmt::format("\"{}\" names two locks", l.name));
    }
    read_algorithm_fields(t, format, l.algorithm);
    if (t.has("masters")) {
      const toml::array* masters = t.array("masters");
      for (std::size_t k = 0; k < masters->size(); ++k) {
        const toml::node& node = *masters->get(k);
        const std::string field = fmt::format("{}[{}]", t.field("masters"), k);
        const auto* text = node.as_string();
        if (text == nullptr) {
          detail::fail_at(top.file(), node.source(), field, "must be a master's name (got " + detail::value_text(node) + ")");
        }
        const bool known = std::any_of(s.cluster.masters.begin(), s.cluster.masters.end(),
                                       [&](const MasterSpec& m) { return m.name == text->get(); });
        if (!known) detail::fail_at(top.file(), node.source(), field, "names no master (got \"" + text->get() + "\")");
        if (std::find(l.masters.begin(), l.masters.end(), text->get()) != l.masters.end()) {
          detail::fail_at(top.file(), node.source(), field, "names a master twice (\"" + text->get() + "\")");
        }
        l.masters.push_back(text->get());
      }
      if (l.masters.empty()) t.fail("masters", "names no master: leave it out for the default");
      if (l.algorithm.kind != Algorithm::redlock && l.masters.size() > 1) {
        t.fail("masters", "a lock other than redlock runs on one master");
      }
    }
    s.locks.push_back(std::move(l));
  }
}

void read_algorithm_fields(const TableReader& t, int format, AlgorithmSpec& a) {
  if (auto k = t.one_of<Algorithm>("kind", detail::kAlgorithmNames)) a.kind = *k;
  if (auto ttl = t.millis("ttl", Sign::positive)) a.ttl = *ttl;
  if (t.has("drift_factor")) a.drift_ppm = read_drift_ppm(t);
  if (auto q = t.integer("quorum", 1, detail::kMaxMasters)) a.quorum = static_cast<std::size_t>(*q);
  if (auto d = t.duration("node_timeout", Sign::positive)) a.node_timeout = *d;
  if (auto n = t.small_int("retry_count", 0, static_cast<int>(kIntMax))) a.retry_count = *n;
  if (auto d = t.millis("retry_delay", Sign::non_negative)) a.retry_delay = *d;
  if (auto d = t.millis("retry_jitter", Sign::non_negative)) a.retry_jitter = *d;
  if (auto b = t.boolean("fencing")) a.fencing = *b;
  if (auto b = t.boolean("return_early")) a.return_early = *b;
  if (auto m = t.one_of<lock::FanOutMode>("fan_out", detail::kFanOutNames)) {
    if (format < 2) t.fail("fan_out", "fan_out needs format = 2 at the top of the file");
    a.fan_out = *m;
  }
}

void read_storage(const TableReader& top, Scenario& s) {
  const toml::table* table = top.subtable("storage");
  if (table == nullptr) return;
  const TableReader t(top.file(), *table, "storage");
  t.allow_only({"name", "fenced"}, "[storage]");
  if (auto name = t.string("name")) s.storage.name = std::move(*name);
  if (auto b = t.boolean("fenced")) s.storage.fenced = *b;
}

// The shorthand workload's keys, which a client with steps states there.
constexpr std::string_view kShorthandKeys[] = {"key", "iterations", "start_after", "acquire_timeout", "writes",
                                               "hold", "write_timeout", "think", "release", "careful"};

ClientSpec read_client(const TableReader& t, int format, std::span<const std::string> redis_nodes,
                       std::span<const std::string> locks) {
  ClientSpec c;
  c.name = t.required_string("name");
  c.clock = read_clock(t, c.clock);
  if (t.has("steps")) {
    if (format < 2) t.fail("steps", "steps need format = 2 at the top of the file");
    for (std::string_view key : kShorthandKeys) {
      if (t.has(key)) {
        t.fail(key, fmt::format("a client with steps states its workload there, not with {}", key));
      }
    }
    c.steps = detail::read_steps(t, redis_nodes, locks);
    if (std::string why = step_count_problem(*c.steps); !why.empty()) t.fail("steps", std::move(why));
    return c.normalized();
  }
  sim::ClientWorkload& w = c.workload;
  if (auto key = t.string("key")) w.key = std::move(*key);
  if (auto n = t.small_int("iterations", 0, static_cast<int>(kIntMax))) w.iterations = *n;
  if (auto d = t.duration("start_after", Sign::non_negative)) w.start_after = *d;
  if (auto d = t.duration("acquire_timeout", Sign::positive)) w.acquire_timeout = *d;
  if (auto n = t.small_int("writes", 0, static_cast<int>(kIntMax))) w.writes = *n;
  if (auto d = t.duration("hold", Sign::non_negative)) w.hold = *d;
  if (auto d = t.duration("write_timeout", Sign::positive)) w.write_timeout = *d;
  if (auto d = t.duration("think", Sign::non_negative)) w.think = *d;
  if (auto b = t.boolean("release")) w.release = *b;
  if (auto b = t.boolean("careful")) w.careful = *b;
  return c;
}

void read_clients(const TableReader& top, int format, Scenario& s, Origins& origins, std::size_t& processes) {
  const toml::array* clients = top.array("client");
  if (clients == nullptr) return;
  const std::vector<std::string> redis_nodes = redis_node_names(s);
  const std::vector<std::string> locks = lock_names(s);
  for (std::size_t i = 0; i < clients->size(); ++i) {
    const toml::table& entry = entry_table(top, "client", *clients->get(i), i);
    const TableReader t(top.file(), entry, fmt::format("client[{}]", i));
    t.allow_only({"name", "count", "clock_offset", "drift_ppm", "key", "iterations", "start_after",
                  "acquire_timeout", "writes", "hold", "write_timeout", "think", "release", "careful", "steps"},
                 "a client");
    const ClientSpec client = read_client(t, format, redis_nodes, locks);
    const std::optional<int> count = t.small_int("count", 1, detail::kMaxClientCount);
    const auto copies = static_cast<std::size_t>(count.value_or(1));
    if (processes + copies > detail::kMaxProcesses) {
      t.fail(count ? "count" : "name", fmt::format("more than {} processes", detail::kMaxProcesses));
    }
    processes += copies;
    for (std::size_t k = 1; k <= copies; ++k) {
      s.clients.push_back(client);
      // count = N: N identical clients, "<name>-1" .. "<name>-N".
      if (count) s.clients.back().name = fmt::format("{}-{}", client.name, k);
      origins.clients.push_back({t.path(), &entry, t.find("name")});
    }
  }
}

int read_format(const TableReader& top) {
  const toml::node* node = top.find("format");
  if (node == nullptr) {
    detail::fail_at(top.file(), top.table().source(), "format",
                    fmt::format("is required: start the file with format = {}", kFormatVersion));
  }
  const auto* i = node->as_integer();
  if (i == nullptr) top.fail("format", "must be an integer (got " + detail::value_text(*node) + ")");
  if (i->get() > kFormatVersion) {
    top.fail("format", fmt::format("format {} is newer than this build of locklab reads (format {}): "
                                   "use a newer locklab",
                                   i->get(), kFormatVersion));
  }
  if (i->get() < 1) top.fail("format", fmt::format("must be 1 to {} (got {})", kFormatVersion, i->get()));
  return static_cast<int>(i->get());
}

}  // namespace

Scenario parse_scenario(std::string_view text, std::string_view file, std::vector<FaultPlace>* places) {
  if (text.size() > kMaxScenarioBytes) {
    throw ScenarioError(std::string(file), 0, 0, "",
                        fmt::format("{} bytes is over the {} byte limit for a scenario file", text.size(),
                                    kMaxScenarioBytes));
  }
  detail::check_before_parse(text, file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw ScenarioError(std::string(file), e.source().begin.line, e.source().begin.column, "",
                        "TOML syntax: " + std::string(e.description()));
  }
  const TableReader top(file, root, "");
  const int format = read_format(top);  // before unknown keys: a newer file may have new ones
  top.allow_only({"format", "name", "description", "seed", "duration", "order", "trace_hash", "cluster",
                  "algorithm", "lock", "storage", "client", "fault", "expect"},
                 "the top level");
  Scenario s;
  Origins origins{.root = &root};
  if (auto name = top.string("name")) s.name = std::move(*name);
  if (auto d = top.string("description")) s.description = std::move(*d);
  s.seed = read_seed(top);
  if (auto d = top.duration("duration", Sign::positive)) s.duration = *d;
  if (auto o = top.one_of<sim::ReadyOrder>("order", detail::kOrderNames)) s.order = *o;
  s.trace_hash = read_trace_hash(top);
  std::size_t processes = 1;  // the storage
  read_cluster(top, format, s, origins, processes);
  read_algorithm(top, format, s);
  read_locks(top, format, s);
  read_storage(top, s);
  read_clients(top, format, s, origins, processes);
  detail::check_process_names(s, origins, file);
  detail::read_faults(top, s, origins);
  detail::read_expect(top, format, s);
  detail::check_validate(s, origins, file);
  if (places != nullptr) {
    places->clear();
    for (const detail::Origin& o : origins.faults) {
      places->push_back({o.path, o.table != nullptr ? o.table->source().begin.line : 0});
    }
  }
  return s;
}

Scenario load_scenario(const std::filesystem::path& path, std::vector<FaultPlace>* places) {
  const std::string file = path.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw ScenarioError(file, 0, 0, "", "cannot read: " + ec.message());
  if (size > kMaxScenarioBytes) {
    throw ScenarioError(file, 0, 0, "",
                        fmt::format("{} bytes is over the {} byte limit for a scenario file", size,
                                    kMaxScenarioBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(file, 0, 0, "", "cannot read: cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(file, 0, 0, "", "cannot read: I/O error");
  return parse_scenario(text.str(), file, places);
}

}  // namespace locklab::scenarios
