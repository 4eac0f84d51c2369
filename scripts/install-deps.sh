#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages locklab needs that are not
# installed yet. Idempotent: when everything is present it changes nothing and
# touches no network. Run as root (or with sudo available).
#
#   scripts/install-deps.sh          what building and `locklab demo` need
#   scripts/install-deps.sh --test   that, and what the whole test suite needs
set -euo pipefail

profile=build
case "${1:-}" in
  "") ;;
  --test) profile=test ;;
  *) echo "install-deps: unknown argument '$1' (expected nothing or --test)" >&2; exit 2 ;;
esac

# Each package and why locklab needs it (the README explains them further).
packages=(
  build-essential        # GCC 12, make
  cmake                  # the build (3.25: presets and workflows)
  ninja-build            # the generator the presets use
  pkg-config             # finds hiredis and Lua (their CMake configs are broken or absent)
  git                    # the source tree; the determinism test lists tracked files
  libboost-fiber-dev     # simulated processes are Boost.Fiber fibers
  libboost-context-dev   # fiber stacks (pooled and guarded)
  librapidcheck-dev      # property-based tests with shrinking (configured with the build)
  libgtest-dev           # unit and integration tests (configured with the build)
  libgmock-dev           # matchers in tests
  libbenchmark-dev       # bench/
  libfmt-dev             # formatting of traces, reports and messages
  libcli11-dev           # the locklab command line
  libhiredis-dev         # the production backend (real Redis)
  libtomlplusplus-dev    # scenario files
  nlohmann-json3-dev     # JSON Lines traces and histories
  liblua5.1-0-dev        # the Lua 5.1 that Redis embeds, for EVAL in simulated servers
)
if [ "$profile" = test ]; then
  packages+=(
    redis-server         # differential and real-server tests start their own
    util-linux           # taskset (benchmark smoke run), setarch (the TSan step)
    afl++                # fuzzes the scenario loader (scripts/fuzz-loader.sh, a CI step)
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
