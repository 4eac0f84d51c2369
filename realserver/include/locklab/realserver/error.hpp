// locklab/realserver/error.hpp — the exceptions the real-server harness
// throws.
//
// Provides Error (the base: catch it to catch anything the harness throws),
// StartError (a redis-server did not start or restart: missing executable,
// a port that stayed taken, a process that exited or never answered) and
// AdminError (an admin command failed; kind() says how). Messages name what
// failed and, where a server was involved, end with the tail of its log, so
// a test log alone explains the failure.
//
// Not provided: error codes for the lock library (lock::NodeError covers
// that); the harness is for starting and breaking servers, and its failures
// are the test's or runner's failures, hence exceptions.
//
// Thread-safety: plain exception values.
#pragma once

#include <stdexcept>
#include <string>

namespace locklab::realserver {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StartError : public Error {
 public:
  using Error::Error;
};

class AdminError : public Error {
 public:
  enum class Kind {
    connect,   // no connection (refused, no such socket, connect timed out)
    timeout,   // connected, but no complete reply before the timeout
    closed,    // the server closed the connection (killed, CLIENT KILL, shutdown)
    protocol,  // the bytes were not RESP
    reply,     // the server answered with an error reply where success was needed
  };
  AdminError(Kind kind, const std::string& what) : Error(what), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

}  // namespace locklab::realserver
