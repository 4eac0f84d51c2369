#!/usr/bin/env bash
# Package.ExamplesBuildWithPkgConfig: each example's main.cpp compiled with
# CXX -std=c++23 $(pkg-config --cflags --libs locklab) against the installed
# prefix, as the README shows.
# usage: examples_pkg_config.sh WORK SOURCE_DIR CXX PREFIX
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 4 ] || fail "usage: $0 WORK SOURCE_DIR CXX PREFIX"
work=$1 source_dir=$2 cxx=$3 prefix=$4
fresh_dir "$work"
command -v pkg-config >/dev/null || fail "pkg-config is not installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(pkgconfig_dir "$prefix")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

flags=$(pkg-config --cflags --libs locklab) || fail "pkg-config --cflags --libs locklab failed"
echo "pkg-config --cflags --libs locklab: $flags"
for program in once_across_machines fenced_inventory; do
  echo "== $program"
  # shellcheck disable=SC2086  # the flags are words
  "$cxx" -std=c++23 -o "$work/$program" "$source_dir/examples/$program/main.cpp" $flags \
    || fail "$program did not build with pkg-config's flags"
done
echo "PASS: both examples built with pkg-config"
