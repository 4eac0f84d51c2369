#!/usr/bin/env bash
# Runs the real-server benchmark the way docs/performance.md reports it:
# release build, five local redis-servers on core 1, the client on core 0
# (the benchmark pins both itself), every case and ratio in one run.
# Needs redis-server on PATH and, for the redis-py rows, Debian's
# python3-redis for /usr/bin/python3. Extra arguments go to Google Benchmark
# (e.g. --benchmark_repetitions=9, --benchmark_filter=Ratio/SingleNode).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j"${LOCKLAB_JOBS:-2}" --target real_lock_bench
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/release/bench/real_lock_bench "$@"
