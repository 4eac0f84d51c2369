/* The clock shim: an LD_PRELOAD library that moves a program's wall clock.
 *
 * Interposes gettimeofday, time, and clock_gettime for CLOCK_REALTIME and
 * CLOCK_REALTIME_COARSE; every other clock id (CLOCK_MONOTONIC above all:
 * redis-server times its event loop and cron with it) goes to the kernel
 * unchanged. The shimmed time is real time transformed by the parameters in
 * the control file named by $LOCKLAB_CLOCKSHIM_FILE (layout.h): an offset, a
 * rate, or a frozen value, changed at any moment by the controller.
 *
 * Real time comes from the clock_gettime system call itself, never from
 * libc's symbol (dlsym(RTLD_NEXT) at start-up is what makes libfaketime
 * recurse and abort in redis-server 7.0): no recursion, no lazy binding, no
 * allocation. A reading is a few atomic loads and one system call, so it is
 * async-signal-safe and thread-safe. The price: pass-through clocks lose
 * the vDSO's speed (a system call per reading, about a tenth of a
 * microsecond more).
 *
 * Not covered: statically linked programs, programs that make the system
 * call themselves, and libc-internal readings that do not go through these
 * symbols (timespec_get, ntp_gettime, ftime, the timer functions).
 *
 * Without the environment variable the shim passes real time through. With
 * it set to a file that cannot be mapped as a control file, the program is
 * aborted at load: a test that asked for a shimmed clock must not run on the
 * real one unnoticed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "locklab/clockshim/layout.h"

static const struct locklab_clockshim_state* state;

static void fail(const char* what, const char* path) {
  /* write(2) only: the program's stdio may not be ready in a constructor. */
  static const char prefix[] = "locklab clockshim: ";
  (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
  (void)!write(STDERR_FILENO, what, strlen(what));
  (void)!write(STDERR_FILENO, path, strlen(path));
  (void)!write(STDERR_FILENO, "\n", 1);
  abort();
}

/* Maps the control file before main (and before any other library's
 * constructor that runs after ours), so no reading ever races the set-up. */
__attribute__((constructor)) static void clockshim_init(void) {
  const char* path = getenv(LOCKLAB_CLOCKSHIM_ENV);
  if (path == NULL || path[0] == '\0') return;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open the control file ", path);
  void* map = mmap(NULL, sizeof(struct locklab_clockshim_state), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) fail("cannot map the control file ", path);
  const struct locklab_clockshim_state* s = map;
  if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != LOCKLAB_CLOCKSHIM_MAGIC) {
    fail("not a control file (bad magic): ", path);
  }
  __atomic_store_n(&state, s, __ATOMIC_RELEASE);
}

static int real_clock_gettime(clockid_t id, struct timespec* ts) {
  return (int)syscall(SYS_clock_gettime, id, ts);
}

static int64_t to_ns(const struct timespec* ts) {
  return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

/* Floor division, so a shimmed time before 1970 still has 0 <= tv_nsec. */
static struct timespec from_ns(int64_t ns) {
  int64_t sec = ns / 1000000000;
  int64_t rem = ns % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    sec -= 1;
  }
  struct timespec ts = {.tv_sec = (time_t)sec, .tv_nsec = (long)rem};
  return ts;
}

/* The shimmed reading of a realtime clock (CLOCK_REALTIME or its coarse
 * variant, read for real from the same id so the coarse one stays coarse). */
static int shimmed(clockid_t id, struct timespec* ts) {
  struct timespec real;
  const int r = real_clock_gettime(id, &real);
  if (r != 0) return r;
  const struct locklab_clockshim_state* s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
  if (s == NULL) {
    *ts = real;
    return 0;
  }
  const struct locklab_clockshim_params p = locklab_clockshim_read(s);
  *ts = from_ns(locklab_clockshim_apply(&p, to_ns(&real)));
  return 0;
}

int clock_gettime(clockid_t id, struct timespec* ts) {
  if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) return shimmed(id, ts);
  return real_clock_gettime(id, ts);
}

/* tv is declared nonnull by glibc; tz may be NULL. */
int gettimeofday(struct timeval* restrict tv, void* restrict tz) {
  if (tz != NULL) {
    /* The obsolete time zone: the kernel's, untouched. */
    if (syscall(SYS_gettimeofday, NULL, tz) != 0) return -1;
  }
  struct timespec ts;
  if (shimmed(CLOCK_REALTIME, &ts) != 0) return -1;
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

time_t time(time_t* out) {
  struct timespec ts;
  if (shimmed(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out != NULL) *out = ts.tv_sec;
  return ts.tv_sec;
}
