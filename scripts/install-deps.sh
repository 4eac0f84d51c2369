#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages locklab needs that are not
# installed yet. Idempotent: when everything is present it changes nothing and
# touches no network. Run as root (or with sudo available).
#
#   scripts/install-deps.sh          what building and `locklab demo` need
#   scripts/install-deps.sh --test   that, and what the whole test suite needs,
#                                    including the interoperability tests' npm
#                                    packages (npm ci in tests/interop/node)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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
    python3-redis        # redis-py's Lock: the interop tests (tests/interop/) and the redis-py comparison benchmark
    chromium             # headless screenshots of the HTML reports, for the report tests
  )
  # Node.js and npm run node-redlock in the interop tests. Only when absent
  # from PATH: a node installed from elsewhere (with its own bundled npm)
  # must not be replaced, and Debian's npm package conflicts with it.
  command -v node >/dev/null || packages+=(nodejs)  # node-redlock's runtime (Debian 12: node 18)
  command -v npm >/dev/null || packages+=(npm)      # installs tests/interop/node's pinned packages
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The interop tests' node-redlock and ioredis, exactly as package-lock.json
# pins them. Only when node_modules is missing or older than the lock file,
# so a second run touches no network. --ignore-scripts: the packages need no
# install scripts, and none of theirs should run as root.
if [ "$profile" = test ]; then
  node_dir="$root/tests/interop/node"
  if [ ! -d "$node_dir/node_modules" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules" ]; then
    echo "install-deps: npm ci in tests/interop/node"
    (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund)
    touch "$node_dir/node_modules"  # newer than the lock file from now on
  else
    echo "install-deps: tests/interop/node/node_modules is up to date"
  fi
fi
