# The redis-py side of bench/real_lock_bench: a persistent child that runs
# redis-py's Lock (SET NX PX to acquire, its Lua compare-and-delete to
# release) against one server, in batches the parent asks for on stdin.
#
# Protocol, one line each way: the child prints "ready" once connected (or
# "error <why>"); then for each line "N" from the parent it runs N
# acquire+release cycles of one uncontended lock and prints the total
# nanoseconds they took, or "error <why>". EOF on stdin ends it.
import sys
import time


def main() -> int:
    port = int(sys.argv[1])
    key = sys.argv[2]
    try:
        import redis
    except ImportError as e:
        print(f"error python3-redis is not installed for {sys.executable}: {e}", flush=True)
        return 1
    client = redis.Redis(host="127.0.0.1", port=port)
    lock = client.lock(key, timeout=10, blocking=False)
    lock.acquire()  # connects and loads the release script
    lock.release()
    print("ready", flush=True)
    for line in sys.stdin:
        cycles = int(line)
        start = time.perf_counter_ns()
        for _ in range(cycles):
            if not lock.acquire():
                print("error acquire refused", flush=True)
                return 1
            lock.release()
        print(time.perf_counter_ns() - start, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
