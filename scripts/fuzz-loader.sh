#!/usr/bin/env bash
# Fuzzes scenario files with AFL++ for a while (default 30 s) and fails if
# any input crashed or hung the harness. Installs nothing:
# scripts/install-deps.sh brings afl++. The harness
# (tests/fuzz/scenario_loader_fuzz.cpp) loads each input, writes it back and
# runs what loads as a world under a 10,000-event budget. It is built in its
# own build tree, build/fuzz (LOCKLAB_BUILD_FUZZ=ON, tests and benchmarks
# off), where afl-g++-fast (or afl-g++, see below) compiles only the file
# code; the simulator, checkers and runner are linked uninstrumented from
# build/release, whose locklab_scenarios target this script builds first (up
# to date already after scripts/test-all.sh's release build). Seeds: every
# bad and good scenario file. Findings stay in build/fuzz/out/default/crashes
# and hangs; replay one with
# build/release/tests/fuzz/scenario_fuzz_replay --print FILE.
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

# The worlds' libraries, from the release build (tests/fuzz/CMakeLists.txt
# says why): configured with its preset if it is not there yet.
[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
cmake --build build/release -j"$jobs" --target locklab_scenarios

# Warnings are not errors here: instrumentation may add some, and the
# normal builds already hold the code to -Werror.
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$compiler" \
  -DLOCKLAB_BUILD_TESTS=OFF -DLOCKLAB_BUILD_BENCH=OFF -DLOCKLAB_BUILD_FUZZ=ON -DLOCKLAB_WERROR=OFF \
  -DLOCKLAB_FUZZ_WORLD_TREE="$PWD/build/release" \
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
export AFL_NO_AFFINITY=1
# The harness reads test cases from shared memory (persistent mode) when
# AFL++ offers it, else the file @@ names.
afl-fuzz -V "$seconds" -t 1000 -m none -i "$seeds" -o build/fuzz/out -- build/fuzz/tests/fuzz/scenario_loader_fuzz @@ \
  > build/fuzz/afl.log 2>&1 || { tail -30 build/fuzz/afl.log >&2; echo "fuzz-loader: afl-fuzz failed" >&2; exit 1; }

stats=build/fuzz/out/default/fuzzer_stats
execs=$(sed -n 's/^execs_done *: *//p' "$stats")
speed=$(sed -n 's/^execs_per_sec *: *//p' "$stats")
paths=$(sed -n 's/^corpus_count *: *//p' "$stats")
# A hang is an input that ran past -t (1 s): a world under a
# 10,000-event budget that does not end is as much a finding as a crash.
# afl-fuzz first runs every seed once and skips one that crashes or times
# out, saving it nowhere but naming it in its log: such seeds count too.
out=build/fuzz/out/default
mapfile -t findings < <({
  find "$out/crashes" -type f -name 'id:*' -printf "crash %p\n" 2>/dev/null
  find "$out/hangs" -type f -name 'id:*' -printf "hang %p\n" 2>/dev/null
  sed 's/\x1b\[[0-9;]*m//g' build/fuzz/afl.log | awk -F"'" -v queue="$out/queue/" '
    /Attempting dry run with/ { seed = $2 }
    /results in a crash/ { print "crash " queue seed }
    /results in a timeout/ { print "hang " queue seed }'
} | sort -u)
crashes=0 hangs=0
for f in "${findings[@]}"; do
  case "$f" in hang\ *) hangs=$((hangs + 1)) ;; *) crashes=$((crashes + 1)) ;; esac
done
echo "fuzz-loader: ${seconds}s, $execs executions ($speed/s), $paths inputs in the queue, $crashes crashes, $hangs hangs"
if [ ${#findings[@]} -gt 0 ]; then
  for f in "${findings[@]}"; do
    echo "--- $f"
    od -c "${f#* }" | head -20
  done
  echo "fuzz-loader: an input crashed or hung the harness; replay with scenario_fuzz_replay --print FILE" >&2
  exit 1
fi
