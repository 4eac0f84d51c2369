# shellcheck shell=bash
# Helpers sourced by the package tests (tests/package/*.sh).

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# fresh_dir DIR: DIR exists and is empty, so a rerun starts clean.
fresh_dir() {
  case "$1" in
    */package-tests/*) ;;
    *) fail "refusing to wipe '$1': not under a package-tests directory" ;;
  esac
  rm -rf -- "$1"
  mkdir -p -- "$1"
}

# pkgconfig_dir PREFIX: the installed pkgconfig directory (lib/ or a
# multiarch lib/<triplet>/, as GNUInstallDirs chose).
pkgconfig_dir() {
  local pc
  pc=$(find "$1" -path '*/pkgconfig/locklab.pc' -print -quit)
  [ -n "$pc" ] || fail "no pkgconfig/locklab.pc under $1 (did the library-only test install?)"
  dirname "$pc"
}

# The names of the simulator's and the tests' dependencies, none of which the
# production library may hand on.
# shellcheck disable=SC2034  # used by the scripts that source this file
SIMULATOR_DEPENDENCIES='boost|lua|rapidcheck|fmt|toml|gtest|gmock|benchmark|cli11|nlohmann'
