// Checks of a scenario read from a file that need all of it: process names,
// then validate(), with each problem placed back at a line of the file.
#include <fmt/format.h>

#include <map>

#include "file_parts.hpp"

namespace locklab::scenarios::detail {

namespace {

// Where a problem points: a field path in the file's terms and a node.
struct Place {
  std::string field;
  const toml::node* node = nullptr;
};

// A master table's name is its "name" key; the masters = N shorthand is
// the "cluster.masters" key itself.
std::string name_field(const Origin& o) { return o.path.ends_with(']') ? o.path + ".name" : o.path; }

[[noreturn]] void fail_place(std::string_view file, const Place& place, std::string problem) {
  if (place.node != nullptr) fail_at(file, place.node->source(), place.field, std::move(problem));
  throw ScenarioError(std::string(file), 0, 0, place.field, std::move(problem));
}

const toml::node* node_at(const Origin& o, std::string_view key) {
  if (o.table != nullptr && !key.empty()) {
    if (const toml::node* n = o.table->get(key)) return n;
  }
  if (o.node != nullptr) return o.node;
  return o.table;
}

// "clients[2].key" -> the origin of client 2, and the rest (".key").
bool indexed(std::string_view head, std::string_view prefix, const std::vector<Origin>& origins,
             Place& place) {
  if (!head.starts_with(prefix) || head.size() <= prefix.size() || head[prefix.size()] != '[') return false;
  const std::size_t close = head.find(']', prefix.size());
  if (close == std::string_view::npos) return false;
  std::size_t index = 0;
  for (std::size_t i = prefix.size() + 1; i < close; ++i) {
    if (head[i] < '0' || head[i] > '9') return false;
    index = index * 10 + static_cast<std::size_t>(head[i] - '0');
    if (index > origins.size()) return false;
  }
  if (index >= origins.size()) return false;
  const Origin& o = origins[index];
  std::string_view rest = head.substr(close + 1);
  const std::string_view key = rest.starts_with('.') ? rest.substr(1) : std::string_view{};
  place = {o.path + std::string(rest), node_at(o, key)};
  return true;
}

// The algorithm keys a lock::validate() message may be about, most
// specific first ("node_timeout ... the ttl" is about node_timeout).
constexpr std::pair<std::string_view, std::string_view> kAlgorithmWords[] = {
    {"quorum", "quorum"},           {"node_timeout", "node_timeout"}, {"drift_factor", "drift_factor"},
    {"retry.count", "retry_count"}, {"retry.delay", "retry_delay"},   {"jitter", "retry_jitter"},
    {"ttl", "ttl"},
};

Place algorithm_place(const toml::table& root, std::string_view head, std::string_view message) {
  const toml::table* table = root.get("algorithm") != nullptr ? root.get("algorithm")->as_table() : nullptr;
  if (table == nullptr) return {std::string(head), nullptr};
  if (head.starts_with("algorithm.")) {
    const toml::node* n = table->get(head.substr(10));
    return {std::string(head), n != nullptr ? n : table};
  }
  for (const auto& [word, key] : kAlgorithmWords) {
    if (message.find(word) == std::string_view::npos) continue;
    if (const toml::node* n = table->get(key)) return {"algorithm." + std::string(key), n};
  }
  return {"algorithm", table};
}

// A dotted path of plain keys ("cluster.latency") in the root, as deep as
// it exists; validate() names these in the file's own terms already.
Place walk(const toml::table& root, std::string_view head) {
  const toml::node* node = nullptr;
  const toml::table* table = &root;
  std::string_view rest = head;
  while (!rest.empty() && table != nullptr) {
    const std::size_t dot = rest.find('.');
    const toml::node* next = table->get(rest.substr(0, dot));
    if (next == nullptr) break;
    node = next;
    table = next->as_table();
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  }
  return {std::string(head), node};
}

Place place_of(std::string_view head, std::string_view message, const Origins& o) {
  Place place;
  if (indexed(head, "clients", o.clients, place) || indexed(head, "cluster.masters", o.masters, place) ||
      indexed(head, "faults", o.faults, place) || indexed(head, "failovers", o.failovers, place) ||
      indexed(head, "cluster.presets", o.presets, place) || indexed(head, "cluster.links", o.links, place)) {
    return place;
  }
  if (head == "algorithm" || head.starts_with("algorithm.")) return algorithm_place(*o.root, head, message);
  // The Scenario's plural names for the file's [[client]] and [[cluster.master]].
  if (head == "clients") return {"client", nullptr};
  if (head == "cluster.masters") return {"cluster", o.root->get("cluster")};
  return walk(*o.root, head);
}

}  // namespace

void check_process_names(const Scenario& s, const Origins& origins, std::string_view file) {
  // One place per entry of process_names(s), in the same order.
  std::vector<Place> places;
  for (std::size_t i = 0; i < s.cluster.masters.size(); ++i) {
    const Origin& o = origins.masters[i];
    places.push_back({name_field(o), node_at(o, "name")});
    for (int r = 0; r < s.cluster.masters[i].replicas; ++r) {
      places.push_back({o.path + ".replicas", node_at(o, "replicas")});
    }
  }
  const toml::node* storage = origins.root->get("storage");
  const toml::node* storage_name = storage != nullptr && storage->as_table() != nullptr
                                       ? storage->as_table()->get("name") : nullptr;
  places.push_back({"storage.name", storage_name});
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    places.push_back({name_field(origins.clients[i]), node_at(origins.clients[i], "name")});
  }

  const std::vector<std::string> names = process_names(s);
  std::map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < names.size() && i < places.size(); ++i) {
    if (names[i].empty()) fail_place(file, places[i], "a process name must not be empty");
    const auto [it, inserted] = first.emplace(names[i], i);
    if (!inserted) {
      fail_place(file, places[i],
                 fmt::format("'{}' is already the name of another process ({})", names[i],
                             places[it->second].field));
    }
  }
}

void check_validate(const Scenario& s, const Origins& origins, std::string_view file) {
  const std::vector<std::string> problems = validate(s);
  if (problems.empty()) return;
  // The first problem is reported; fixing it and loading again shows the next.
  const std::string& problem = problems.front();
  const std::size_t colon = problem.find(": ");
  if (colon == std::string::npos) throw ScenarioError(std::string(file), 0, 0, "", problem);
  const std::string_view head = std::string_view(problem).substr(0, colon);
  const std::string_view message = std::string_view(problem).substr(colon + 2);
  if (head.find(' ') != std::string_view::npos) throw ScenarioError(std::string(file), 0, 0, "", problem);
  const Place place = place_of(head, message, origins);
  // lock::validate() repeats "algorithm: " in its message; say it once.
  fail_place(file, place, std::string(message.starts_with("algorithm: ") ? message.substr(11) : message));
}

}  // namespace locklab::scenarios::detail
