// scenarios/src/file_parts.hpp — the pieces of reading one scenario file,
// shared between scenario_file_read.cpp (the top level, cluster, algorithm,
// storage, clients), scenario_file_faults.cpp (faults, failovers),
// scenario_file_expect.cpp ([expect]) and scenario_file_checks.cpp (process
// names and validate()).
//
// Origins remember where in the file each master, client, fault and failover
// came from, so a problem found after reading (a duplicate name, one of
// validate()'s) is still reported at a line and column, under the file's own
// field path ("client[1]", not the Scenario's index after `count` expanded it).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "file_reader.hpp"

namespace locklab::scenarios::detail {

struct Origin {
  std::string path;                    // "cluster.master[0]", "client[2]", "fault[5]"
  const toml::table* table = nullptr;  // the table it was read from, if any
  const toml::node* node = nullptr;    // the value to point at (a name), if any
};

struct Origins {
  const toml::table* root = nullptr;
  std::vector<Origin> masters;    // per Scenario::cluster.masters index
  std::vector<Origin> clients;    // per Scenario::clients index
  std::vector<Origin> faults;     // per Scenario::faults index
  std::vector<Origin> failovers;  // per Scenario::failovers index
  std::vector<Origin> presets;    // per Scenario::cluster.presets index
  std::vector<Origin> links;      // per Scenario::cluster.links index
};

// [[fault]]; process names are resolved against the processes already read.
void read_faults(const TableReader& top, Scenario& s, Origins& origins);
// [expect], after the clients: step and client expectations name them, and
// need `format` 2.
void read_expect(const TableReader& top, int format, Scenario& s);

// Every process name non-empty and unique; throws at the offending name.
void check_process_names(const Scenario& s, const Origins& origins, std::string_view file);
// validate()'s first problem, if any, as a ScenarioError at the best place.
void check_validate(const Scenario& s, const Origins& origins, std::string_view file);

}  // namespace locklab::scenarios::detail
