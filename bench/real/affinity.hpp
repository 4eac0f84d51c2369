// bench/real/affinity.hpp — pinning for the real-server benchmark: the
// client on one core, the redis-servers on the other, so that neither side
// is scheduled away by the other and the figures compare like with like.
//
// Provides pin_this_thread(core). A child forked afterwards inherits the
// calling thread's mask, which is how the servers get theirs (servers.cpp).
// Not provided: any check that the core is otherwise idle.
#pragma once

namespace locklab::bench_real {

// Restricts the calling thread (and what it forks from now on) to `core`.
// False, changing nothing, if the machine has no such core.
bool pin_this_thread(int core);

}  // namespace locklab::bench_real
