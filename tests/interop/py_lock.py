"""redis-py's Lock, driven by locklab's interoperability tests (tests/interop/).

One operation per run, on one server, so that the C++ test decides the order
of events and checks the key between them:

  py_lock.py acquire PORT KEY TTL_MS      prints the token it stored
  py_lock.py release PORT KEY TOKEN       releases as the holder of TOKEN
  py_lock.py version                      prints redis-py's version

Exit codes (the test asserts them): 0 done; 1 refused (the key is held by
someone else, or TOKEN is not the owner); 2 bad usage or an unexpected error;
5 redis-py is not installed.

Run with /usr/bin/python3: Debian's python3-redis is installed for the
system interpreter, not for a pyenv python3 that may come first on PATH.
"""

import sys

try:
    import redis
    from redis.exceptions import LockNotOwnedError
except ImportError:
    print("redis-py is not importable by " + sys.executable +
          ": run scripts/install-deps.sh --test (Debian's python3-redis)", file=sys.stderr)
    sys.exit(5)


def client(port):
    # Short timeouts: a wedged server must fail the run, never hang it (the
    # test also kills this process after its own deadline).
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2)


def acquire(port, key, ttl_ms):
    # blocking=False: one SET NX PX, no retry loop, so "refused" means the key
    # was held at that moment.
    lock = client(port).lock(key, timeout=ttl_ms / 1000.0, blocking=False)
    if not lock.acquire():
        print("not acquired: " + key + " is held", file=sys.stderr)
        return 1
    print(lock.local.token.decode())
    return 0


def release(port, key, token):
    lock = client(port).lock(key)
    # The token is how redis-py knows its own grant: a Lock object that did
    # not acquire takes the holder's token this way (as in a process that
    # hands a lock to another).
    lock.local.token = token.encode()
    try:
        lock.release()
    except LockNotOwnedError as e:
        print("not released: " + str(e), file=sys.stderr)
        return 1
    return 0


def main(argv):
    if argv[1:2] == ["version"]:
        print(redis.__version__)
        return 0
    if len(argv) == 5 and argv[1] == "acquire":
        return acquire(int(argv[2]), argv[3], int(argv[4]))
    if len(argv) == 5 and argv[1] == "release":
        return release(int(argv[2]), argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # any other failure is the test's failure, with its reason
        print("error: " + type(e).__name__ + ": " + str(e), file=sys.stderr)
        sys.exit(2)
