#include "locklab/sim/errors.hpp"

namespace locklab::sim {

std::string_view name_of(SimError error) {
  switch (error) {
    case SimError::killed: return "killed";
    case SimError::timed_out: return "timed_out";
    case SimError::connection_refused: return "connection_refused";
    case SimError::connection_reset: return "connection_reset";
    case SimError::connection_closed: return "connection_closed";
    case SimError::unreachable: return "unreachable";
  }
  return "unknown";
}

}  // namespace locklab::sim
