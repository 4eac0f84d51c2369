#include "affinity.hpp"

#include <sched.h>

namespace locklab::bench_real {

bool pin_this_thread(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

}  // namespace locklab::bench_real
