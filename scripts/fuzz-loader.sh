#!/usr/bin/env bash
# Fuzzes the scenario loader with AFL++ for a while (default 30 s) and fails
# if any input crashed it. Installs nothing: scripts/install-deps.sh brings
# afl++. The harness (tests/fuzz/scenario_loader_fuzz.cpp) is built with
# afl-g++-fast (or afl-g++, see below) in its own build tree, build/fuzz, with only what it needs
# (LOCKLAB_BUILD_FUZZ=ON, tests and benchmarks off). Seeds: every bad and
# good scenario file. Findings stay in build/fuzz/out/default/crashes; replay
# one with build/release/tests/fuzz/scenario_fuzz_replay --print FILE.
#
#   scripts/fuzz-loader.sh        # 30 s
#   scripts/fuzz-loader.sh 600    # ten minutes
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
jobs="${LOCKLAB_JOBS:-2}"

command -v afl-fuzz >/dev/null || { echo "fuzz-loader: afl++ is not installed (scripts/install-deps.sh)" >&2; exit 1; }
# The compiler: afl-g++-fast (the GCC plugin) when it works. Debian 12's
# afl++ 4.04c plugin refuses GCC 12.2.0-14+deb12u1 ("GCC and plugin have
# incompatible versions, expected GCC 12.2.0, is 12.2.0"), so fall back to
# afl-g++, AFL++'s classic GCC mode (assembly-level instrumentation, any GCC).
# Not afl-c++: it picks clang 14, whose concepts level hides libstdc++ 12's
# std::expected, which the code needs.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int main() { return 0; }' > "$probe/probe.cpp"
compiler=""
for candidate in afl-g++-fast afl-g++; do
  if command -v "$candidate" >/dev/null && "$candidate" "$probe/probe.cpp" -o "$probe/probe" >/dev/null 2>&1; then
    compiler=$(command -v "$candidate")
    break
  fi
done
[ -n "$compiler" ] || { echo "fuzz-loader: neither afl-g++-fast nor afl-g++ compiles here" >&2; exit 1; }
echo "fuzz-loader: building the harness with $compiler"
persistent=""
case "$compiler" in *-fast) persistent="-DLOCKLAB_AFL_PERSISTENT=1" ;; esac

# Warnings are not errors here: instrumentation may add some, and the
# normal builds already hold the code to -Werror.
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$compiler" \
  -DLOCKLAB_BUILD_TESTS=OFF -DLOCKLAB_BUILD_BENCH=OFF -DLOCKLAB_BUILD_FUZZ=ON -DLOCKLAB_WERROR=OFF \
  -DCMAKE_CXX_FLAGS="$persistent" >/dev/null
cmake --build build/fuzz -j"$jobs" --target scenario_loader_fuzz

# Seeds: the corpora's scenario files (not the .expected messages beside them).
seeds=build/fuzz/seeds
rm -rf "$seeds" build/fuzz/out
mkdir -p "$seeds"
cp tests/scenarios/bad/*.toml tests/scenarios/good/*.toml "$seeds"/

# A container without root tuning: no CPU frequency governor, a core pattern
# AFL++ cannot change, no screen.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 AFL_IGNORE_SEED_PROBLEMS=1
# The harness reads test cases from shared memory (persistent mode) when
# AFL++ offers it, else the file @@ names.
afl-fuzz -V "$seconds" -t 1000 -m none -i "$seeds" -o build/fuzz/out -- build/fuzz/tests/fuzz/scenario_loader_fuzz @@ \
  > build/fuzz/afl.log 2>&1 || { tail -30 build/fuzz/afl.log >&2; echo "fuzz-loader: afl-fuzz failed" >&2; exit 1; }

stats=build/fuzz/out/default/fuzzer_stats
execs=$(sed -n 's/^execs_done *: *//p' "$stats")
paths=$(sed -n 's/^corpus_count *: *//p' "$stats")
hangs=$(find build/fuzz/out/default/hangs -type f -name 'id:*' 2>/dev/null | wc -l)
mapfile -t crashes < <(find build/fuzz/out/default/crashes -type f -name 'id:*' 2>/dev/null | sort)
echo "fuzz-loader: ${seconds}s, $execs executions, $paths inputs in the queue, ${#crashes[@]} crashes, $hangs hangs"
if [ ${#crashes[@]} -gt 0 ]; then
  for c in "${crashes[@]}"; do
    echo "--- $c"
    od -c "$c" | head -20
  done
  echo "fuzz-loader: the loader crashed; replay with scenario_fuzz_replay --print FILE" >&2
  exit 1
fi
