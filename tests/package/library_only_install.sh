#!/usr/bin/env bash
# Package.LibraryOnlyConfigureBuildsWithoutSimulatorDependencies: configures
# the source tree with LOCKLAB_LIBRARY_ONLY=ON into a fresh build directory,
# builds and installs it into WORK/prefix (which the other package tests
# use), and checks that nothing of the simulator was looked for or built.
# usage: library_only_install.sh WORK SOURCE_DIR CMAKE CXX GENERATOR
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 5 ] || fail "usage: $0 WORK SOURCE_DIR CMAKE CXX GENERATOR"
work=$1 source_dir=$2 cmake=$3 cxx=$4 generator=$5
fresh_dir "$work"
build=$work/build prefix=$work/prefix

echo "== configure (LOCKLAB_LIBRARY_ONLY=ON) into $build"
"$cmake" -S "$source_dir" -B "$build" -G "$generator" -DLOCKLAB_LIBRARY_ONLY=ON \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_INSTALL_PREFIX="$prefix" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "library-only configure failed"; }
cat "$work/configure.log"

# The configure log names no simulator dependency.
if grep -inwE "$SIMULATOR_DEPENDENCIES" "$work/configure.log"; then
  fail "the library-only configure log mentions a simulator dependency (lines above)"
fi
# No cache entry of a simulator dependency: Boost_DIR, rapidcheck_DIR,
# fmt_DIR, tomlplusplus_DIR, LUA_*, GTest_DIR, benchmark_DIR, ... (keys only:
# option help texts may say "benchmarks").
keys=$(sed -n 's/^\([^#/][^:=]*\)[:=].*/\1/p' "$build/CMakeCache.txt")
if offending=$(grep -iE "^(boost|lua|locklab_lua|rapidcheck|fmt|tomlplusplus|gtest|gmock|benchmark|cli11|nlohmann)" <<<"$keys"); then
  fail "CMakeCache.txt of the library-only build has simulator entries: $(tr '\n' ' ' <<<"$offending")"
fi
grep -q '^HIREDIS_FOUND:INTERNAL=1' "$build/CMakeCache.txt" \
  || fail "CMakeCache.txt has no HIREDIS_FOUND=1: hiredis was not found with pkg-config"
for dir in sim properties scenarios reports tools tests bench; do
  [ ! -e "$build/$dir" ] || fail "the library-only build has a $dir/ directory: it added that subdirectory"
done

echo "== build"
"$cmake" --build "$build" -j2 || fail "library-only build failed"
[ -f "$build/lockimpl/hiredis/liblocklab_hiredis.a" ] || fail "no liblocklab_hiredis.a was built"
[ -n "$(find "$build/lockimpl/hiredis" -name 'liblocklab_hiredis.so.*' -print -quit)" ] \
  || fail "no liblocklab_hiredis.so was built"
targets=$("$cmake" --build "$build" --target help | sed -n 's/^\([A-Za-z0-9_]*\):.*/\1/p' | sort -u)
for target in locklab locklab_sim locklab_properties locklab_demo locklab_lua; do
  if grep -qx "$target" <<<"$targets"; then fail "the library-only build defines target $target"; fi
done

echo "== install into $prefix"
"$cmake" --install "$build" || fail "install failed"
for file in include/locklab/assert.hpp include/locklab/lock/redlock.hpp \
            include/locklab/lock/detail/retry.hpp include/locklab/hiredis/backend.hpp \
            include/locklab/hiredis/error_map.hpp; do
  [ -f "$prefix/$file" ] || fail "not installed: $file"
done
for pattern in 'liblocklab_hiredis.a' 'liblocklab_hiredis.so' 'cmake/locklab/locklabConfig.cmake' \
               'cmake/locklab/locklabConfigVersion.cmake' 'cmake/locklab/locklabTargets.cmake' \
               'pkgconfig/locklab.pc' 'pkgconfig/locklab-static.pc'; do
  [ -n "$(find "$prefix" -path "*/$pattern" -print -quit)" ] || fail "not installed: */$pattern"
done
[ ! -e "$prefix/bin/locklab" ] || fail "the library-only install has the locklab tool"
if find "$prefix/include" -name '*.h' | grep .; then fail "a C header (hiredis's?) was installed"; fi
echo "== installed:"
(cd "$prefix" && find . -type f | sort)
echo "PASS: library-only build configured, built and installed with no simulator dependency"
