// locklab/hiredis/error_map.hpp — the one place where the hiredis backend
// turns a failure into a lock::NodeError.
//
// Provides Stage (how far a request had got when it failed) and
// map_failure(stage, errno_value, detail). The rule it keeps: a request whose
// bytes never left (no slot, connect, handshake, found-stale pooled
// connection, a send that wrote nothing) was not applied (maybe_applied =
// false); once any byte of the request has been written, the node may have
// executed it (maybe_applied = true) whatever happens next: timeout, EOF,
// reset, bytes that are not a reply, cancellation, shutdown.
//
// errno conventions for the values that are not system errors:
//   0            the peer closed the connection (EOF)
//   ETIMEDOUT    the deadline (or the connect timeout) passed first
//   ECANCELED    the caller's stop token fired first
//   ESHUTDOWN    the backend is shutting down
//   EPROTO       the bytes were not a RESP reply
//   EACCES       AUTH refused (WRONGPASS / NOAUTH / ...): credentials
//   EINVAL       SELECT (or another handshake command) answered an error
//   EEXIST       the node is the same server as another node (run_id)
// The last three are NodeErrorKind::misconfigured: retrying cannot help
// until the configuration changes.
//   EBUSY        no in-flight slot before the deadline
//
// Deliberately absent: hiredis types; this header is safe to include anywhere.
//
// Threads: pure functions, callable from any thread.
//
//   return map_failure(Stage::reply, ETIMEDOUT, "no reply within 250 ms");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "locklab/hiredis/export.hpp"
// Default visibility for lockimpl's types in a shared build: see backend.hpp.
#pragma GCC visibility push(default)
#include "locklab/lock/reply.hpp"
#pragma GCC visibility pop

namespace locklab::hiredis {

enum class LOCKLAB_HIREDIS_API Stage : std::uint8_t {
  slot,        // waiting for an in-flight slot: nothing sent
  connect,     // socket()/connect()/SO_ERROR: nothing sent
  handshake,   // AUTH / SELECT / INFO on a new connection: the request not sent
  stale,       // a pooled connection found closed before reuse: nothing sent
  send,        // writing the request, no byte of it written yet
  reply,       // the request (or part of it) written: waiting for its reply
};

LOCKLAB_HIREDIS_API std::string_view name_of(Stage stage);

// The one error mapping of the backend (see the header comment).
LOCKLAB_HIREDIS_API lock::NodeError map_failure(Stage stage, int errno_value,
                                                std::string_view detail = {});

}  // namespace locklab::hiredis
