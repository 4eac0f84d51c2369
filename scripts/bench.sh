#!/usr/bin/env bash
# Runs the benchmarks the way docs/performance.md reports them: release
# build, pinned to one core. Extra arguments go to Google Benchmark. The
# production library against real redis-servers: scripts/bench-real.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j"${LOCKLAB_JOBS:-2}" --target sim_bench
exec taskset -c 0 build/release/bench/sim_bench --benchmark_min_time=1 "$@"
