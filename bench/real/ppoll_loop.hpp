// bench/real/ppoll_loop.hpp — the RedLock baseline: a hand-written C-style
// loop over N non-blocking sockets. A command is formatted once with
// snprintf, written to every server, and the replies are awaited together
// with ppoll and parsed by hand (the replies here are one line each).
//
// With return_early the acquire returns at the quorum's third OK and leaves
// the other replies on their sockets; each connection counts the replies it
// is owed and drops the stale ones before the next command's — the cheapest
// thing a hand-written client can do, and one that locklab deliberately
// does not (it closes such a connection, so a late reply can never answer a
// later request).
//
// Not provided: timeouts, errors other than "abort", NOSCRIPT (the script is
// loaded at construction), reconnects. It is a floor to measure against.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace locklab::bench_real {

class PpollLoop {
 public:
  // Connects to 127.0.0.1 on each port and loads the release script there.
  explicit PpollLoop(const std::vector<int>& ports);
  ~PpollLoop();
  PpollLoop(const PpollLoop&) = delete;
  PpollLoop& operator=(const PpollLoop&) = delete;

  // SET key token NX PX 10000 everywhere; true when a majority said OK.
  bool acquire(std::string_view key, std::string_view token, bool return_early);
  // EVALSHA <release> 1 key token everywhere, waiting for every reply;
  // true when a majority deleted the key.
  bool release(std::string_view key, std::string_view token);

 private:
  struct Connection {
    int fd = -1;
    std::string in;     // received, not yet parsed
    int owed = 0;       // replies still to come, the current command's last
    char answer = 0;    // first byte of the current command's reply, 0: none yet
    bool positive = false;
  };

  // Writes `request` to every connection, then waits until `enough` of them
  // answered positively (return early) or all answered; returns the count
  // of positive answers.
  int round(std::string_view request, int enough, bool (*positive)(std::string_view line));
  void read_replies(Connection& c, bool (*positive)(std::string_view line));

  std::vector<Connection> connections_;
  std::string request_;
};

}  // namespace locklab::bench_real
