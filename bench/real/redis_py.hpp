// bench/real/redis_py.hpp — redis-py's Lock, for comparison: a persistent
// /usr/bin/python3 child (redis_py_child.py) driven over two pipes, so the
// interpreter's start-up is paid once and each measurement is the child's
// own clock around N acquire+release cycles.
//
// /usr/bin/python3 on purpose: the python3 on PATH may be another
// interpreter that does not see Debian's python3-redis.
//
//   RedisPy py(port, "bench:py");           // throws with the child's reason
//   const double ns = py.run(1000) / 1000;  // per cycle
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace locklab::bench_real {

class RedisPy {
 public:
  // Starts the child (on the calling thread's cores) and waits for "ready".
  RedisPy(int port, const std::string& key);
  ~RedisPy();  // closes its stdin and reaps it
  RedisPy(const RedisPy&) = delete;
  RedisPy& operator=(const RedisPy&) = delete;

  // Runs `cycles` acquire+release cycles in the child; the nanoseconds they
  // took by its clock. Throws on the child's error.
  std::int64_t run(int cycles);

 private:
  std::string read_line();

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string pending_;
};

}  // namespace locklab::bench_real
