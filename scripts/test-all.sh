#!/usr/bin/env bash
# The whole test suite, as CI runs it: release build with every test label,
# the scenario library's verdicts, a soak slice (scripts/soak.sh),
# a short smoke run of the benchmarks (they must still run; no speed gate),
# 30 s of AFL++ on scenario files (what loads also runs as a world, with
# build/release's libraries, so it comes after the release build), the same
# suite built with AddressSanitizer + UBSan, then lockimpl's thread tests
# built with ThreadSanitizer (that preset builds nothing else: see
# CMakePresets.json).
# Assumes scripts/install-deps.sh has run. LOCKLAB_JOBS overrides -j2.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${LOCKLAB_JOBS:-2}"
# Property tests use a fixed seed here so a CI run is reproducible; set
# RC_PARAMS yourself (e.g. "seed=123 max_success=2000") to explore further.
export RC_PARAMS="${RC_PARAMS:-seed=20261123}"
started=$SECONDS

step() { printf '\n=== %s (%ds elapsed)\n' "$*" $((SECONDS - started)); }

# Runs ctest with a preset (after it, an optional command prefix) and adds
# its test count to the total.
total=0
run_ctest() {
  local preset=$1 log
  shift
  log=$(mktemp)
  "$@" ctest --preset "$preset" -j"$jobs" | tee "$log"
  local count
  count=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log")
  rm -f "$log"
  [ -n "$count" ] || { echo "test-all: could not read ctest's summary" >&2; exit 1; }
  total=$((total + count))
}

step "release: configure and build"
cmake --preset release
cmake --build --preset release -j"$jobs"

step "release: unit, property and integration tests"
run_ctest release

step "release: the scenario library gives its expected verdicts"
build/release/tools/locklab check scenarios/

step "release: soak slice, 5,000 within-assumption worlds per algorithm (any finding fails)"
scripts/soak.sh --worlds 20000 --jobs "$jobs" --out build/release/soak
step "release: soak slice with step workloads (watchdogs, lock managers, mutexes, guards, extends), 2,000 worlds per algorithm"
scripts/soak.sh --worlds 8000 --jobs "$jobs" --out build/release/soak-steps --steps yes

step "release: the main job (and the simulation core's own demo)"
build/release/tools/locklab demo --out build/release/demo >/dev/null
build/release/tools/locklab core-demo --seed 42 >/dev/null

step "fuzz: scenario files under AFL++, loaded and run (30 s, no crash or hang allowed)"
scripts/fuzz-loader.sh 30

step "benchmarks: smoke run (not a timed gate)"
taskset -c 0 build/release/bench/sim_bench --benchmark_min_time=0.01 >/dev/null
# Real redis-servers: the benchmark pins itself (client core 0, servers core 1).
build/release/bench/real_lock_bench --benchmark_min_time=0.01 --benchmark_repetitions=1 >/dev/null

step "asan+ubsan: configure and build"
cmake --preset asan
cmake --build --preset asan -j"$jobs"

step "asan+ubsan: unit, property and integration tests"
run_ctest asan

step "tsan: configure and build (lockimpl and the thread tests only)"
cmake --preset tsan
cmake --build --preset tsan -j"$jobs"

# GCC 12's TSan runtime aborts when the kernel randomises mmap with more than
# 28 bits; setarch -R turns address randomisation off for the test processes.
step "tsan: the thread tests"
run_ctest tsan setarch "$(uname -m)" -R

step "done in $((SECONDS - started))s"
echo "$total passed, 0 failed"
