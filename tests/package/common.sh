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

# --- redis-server for the tests that run the examples -----------------------
# Each server the script starts is recorded in STARTED_PIDS and stopped by its
# pid at exit: `trap stop_started EXIT` right after sourcing this file.
STARTED_PIDS=()

# stop_started: SIGCONT (a stopped process cannot act on SIGTERM), SIGTERM,
# then SIGKILL after 3 s, for every pid in STARTED_PIDS.
stop_started() {
  local pid i
  for pid in "${STARTED_PIDS[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for ((i = 0; i < 30; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now (the
# kernel's pick for a bind to port 0). Another process may take it before
# redis-server does: start_redis_server retries.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis_server DIR: starts redis-server on 127.0.0.1 and a free port,
# no persistence, log in DIR/redis-PORT.log, and waits (5 s at most) until it
# answers PING. Sets REDIS_PORT and REDIS_PID, and records the pid.
start_redis_server() {
  local dir=$1 attempt i port pid
  command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/install-deps.sh --test)"
  command -v redis-cli >/dev/null || fail "redis-cli is not installed (scripts/install-deps.sh --test)"
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$(free_port) || fail "could not pick a free port"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize no --dir "$dir" >"$dir/redis-$port.log" 2>&1 &
    pid=$!
    STARTED_PIDS+=("$pid")
    for ((i = 0; i < 100; i++)); do
      if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
        # shellcheck disable=SC2034  # for the scripts that source this file
        REDIS_PORT=$port REDIS_PID=$pid
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break  # exited: the port was taken, most likely
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  fail "redis-server did not start in 5 attempts; last log ($dir/redis-$port.log):
$(cat "$dir/redis-$port.log" 2>/dev/null)"
}

# wait_for_exit PID SECONDS: waits for a child of this shell to exit and sets
# EXIT_STATUS; fails when it is still running after SECONDS.
wait_for_exit() {
  local pid=$1 seconds=$2 i
  for ((i = 0; i < seconds * 20; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      EXIT_STATUS=0
      # shellcheck disable=SC2034  # for the scripts that source this file
      wait "$pid" || EXIT_STATUS=$?
      return 0
    fi
    sleep 0.05
  done
  fail "process $pid still running after ${seconds}s"
}

# configure_against_prefix CMAKE SOURCE BUILD GENERATOR CXX PREFIX WHAT:
# configures the project in SOURCE with CMAKE_PREFIX_PATH=PREFIX and fails
# unless find_package(locklab) was satisfied from under PREFIX.
configure_against_prefix() {
  local cmake=$1 source=$2 build=$3 generator=$4 cxx=$5 prefix=$6 what=$7
  echo "== configure $what with CMAKE_PREFIX_PATH=$prefix"
  "$cmake" -S "$source" -B "$build" -G "$generator" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
    || fail "$what: configure failed: find_package(locklab CONFIG REQUIRED) against $prefix"
  local found
  found=$(sed -n 's/^locklab_DIR:PATH=//p' "$build/CMakeCache.txt")
  case "$found" in
    "$prefix"/*) ;;
    *) fail "find_package found locklab at '$found', not under $prefix" ;;
  esac
}

# needed_of BINARY: the shared libraries BINARY names in its NEEDED entries,
# one per line.
needed_of() {
  [ -f "$1" ] || fail "no binary at $1"
  readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
