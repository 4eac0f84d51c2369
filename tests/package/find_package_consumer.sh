#!/usr/bin/env bash
# Package.FindPackageConsumerBuilds: an out-of-tree project
# (tests/package/consumer) finds the installed package with
# find_package(locklab CONFIG REQUIRED), links locklab::locklab, builds and runs.
# usage: find_package_consumer.sh WORK SOURCE_DIR CMAKE CXX GENERATOR PREFIX
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 6 ] || fail "usage: $0 WORK SOURCE_DIR CMAKE CXX GENERATOR PREFIX"
work=$1 source_dir=$2 cmake=$3 cxx=$4 generator=$5 prefix=$6
fresh_dir "$work"
[ -d "$prefix" ] || fail "no installed prefix at $prefix (the library-only test sets it up)"
build=$work/build

configure_against_prefix "$cmake" "$source_dir/tests/package/consumer" "$build" "$generator" "$cxx" "$prefix" "the consumer"
echo "== build"
"$cmake" --build "$build" -j2 --verbose || fail "the consumer did not build"
# The consumer sets no standard itself; C++23 comes from the package.
grep -rqE -- '-std=(c|gnu)\+\+(23|2b)' "$build/build.ninja" "$build/CMakeFiles" \
  || fail "the consumer was not compiled as C++23: the package's compile feature did not reach it"
echo "== run"
"$build/consumer" || fail "the consumer exited with $?"
echo "PASS: find_package(locklab) consumer configured, built and ran"
