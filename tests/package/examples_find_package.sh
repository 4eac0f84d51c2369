#!/usr/bin/env bash
# Package.ExamplesBuildWithFindPackage: the standalone examples/ project
# configured with CMAKE_PREFIX_PATH=PREFIX (find_package(locklab CONFIG
# REQUIRED)) and built; the tests that run the examples use WORK/build.
# usage: examples_find_package.sh WORK SOURCE_DIR CMAKE CXX GENERATOR PREFIX
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 6 ] || fail "usage: $0 WORK SOURCE_DIR CMAKE CXX GENERATOR PREFIX"
work=$1 source_dir=$2 cmake=$3 cxx=$4 generator=$5 prefix=$6
fresh_dir "$work"
[ -d "$prefix" ] || fail "no installed prefix at $prefix (the library-only test sets it up)"
build=$work/build

configure_against_prefix "$cmake" "$source_dir/examples" "$build" "$generator" "$cxx" "$prefix" "examples/"
echo "== build"
"$cmake" --build "$build" -j2 || fail "the examples did not build"
for program in once_across_machines fenced_inventory; do
  [ -x "$build/$program" ] || fail "no $program was built in $build"
done
echo "PASS: examples/ configured with find_package(locklab) and built"
