// locklab/realserver/ports.hpp — finding a TCP port on 127.0.0.1.
//
// Provides free_port(): a port nothing listens on at the moment of the call
// (the kernel's pick for a bind to port 0). Between this call and a server's
// bind another process may take it: Server retries with a fresh port when
// its redis-server reports the address in use.
//
// Thread-safety: safe to call from any thread.
#pragma once

namespace locklab::realserver {

// Throws std::system_error when no socket can be bound.
int free_port();

}  // namespace locklab::realserver
