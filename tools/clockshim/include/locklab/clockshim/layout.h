/* locklab/clockshim/layout.h — the shared-memory word between the clock shim
 * (shim.c, preloaded into a real program) and its controller (control.hpp).
 *
 * Provides the layout of the control file, and locklab_clockshim_apply(),
 * the one formula both sides use to turn a real reading into a shimmed one.
 * Plain C with fixed-width fields, so the C shim and the C++ controller share
 * it byte for byte; every field is read and written with GCC's __atomic
 * builtins (the same on both sides), never as a plain access.
 *
 * Consistency is a seqlock: a writer moves `seq` from even to odd (a CAS, so
 * writers in several processes exclude each other), writes the fields and
 * makes `seq` even again; a reader retries until it saw the same even `seq`
 * before and after reading the fields. Readers take no lock and make no
 * call, so a read is async-signal-safe and a reader never blocks a writer.
 *
 * The clock is one formula over the real CLOCK_REALTIME reading `real`:
 *   frozen:     frozen_ns
 *   otherwise:  anchor_shim_ns + (real - anchor_real_ns) * (1e6 + rate_ppm) / 1e6
 * An offset is a rate of 0 with anchor_shim = anchor_real + offset; a rate
 * change re-anchors at the current reading, so it never jumps the time.
 *
 * Not provided: a monotonic clock (the shim leaves those alone). */
#ifndef LOCKLAB_CLOCKSHIM_LAYOUT_H
#define LOCKLAB_CLOCKSHIM_LAYOUT_H

#include <stdint.h>

/* The environment variable naming the control file in the shimmed program. */
#define LOCKLAB_CLOCKSHIM_ENV "LOCKLAB_CLOCKSHIM_FILE"
/* "LLCLKSH1": a file that does not start with it is not a control file. */
#define LOCKLAB_CLOCKSHIM_MAGIC UINT64_C(0x3148534b4c434c4c)

struct locklab_clockshim_state {
  uint64_t magic;
  uint64_t seq;            /* even: stable; odd: a writer is inside */
  int64_t anchor_real_ns;  /* real CLOCK_REALTIME at the anchor */
  int64_t anchor_shim_ns;  /* shimmed reading at the anchor */
  int64_t rate_ppm;        /* +100: 100 us per second fast; > -1,000,000 */
  int64_t frozen;          /* non-zero: every reading is frozen_ns */
  int64_t frozen_ns;
};

/* A consistent copy of the fields (without magic and seq). */
struct locklab_clockshim_params {
  int64_t anchor_real_ns;
  int64_t anchor_shim_ns;
  int64_t rate_ppm;
  int64_t frozen;
  int64_t frozen_ns;
};

static inline struct locklab_clockshim_params
locklab_clockshim_read(const struct locklab_clockshim_state* s) {
  struct locklab_clockshim_params p;
  for (;;) {
    const uint64_t before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
    if ((before & 1U) != 0) continue; /* a writer is inside: its update is moments away */
    p.anchor_real_ns = __atomic_load_n(&s->anchor_real_ns, __ATOMIC_RELAXED);
    p.anchor_shim_ns = __atomic_load_n(&s->anchor_shim_ns, __ATOMIC_RELAXED);
    p.rate_ppm = __atomic_load_n(&s->rate_ppm, __ATOMIC_RELAXED);
    p.frozen = __atomic_load_n(&s->frozen, __ATOMIC_RELAXED);
    p.frozen_ns = __atomic_load_n(&s->frozen_ns, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == before) return p;
  }
}

/* 128-bit intermediates: an elapsed time times a rate overflows 64 bits
 * after a few hours. (__extension__: -Wpedantic in the C++ controller.) */
__extension__ typedef __int128 locklab_clockshim_i128;

/* The shimmed reading for a real one. No casts: the header compiles as C
 * and as C++ (the controller's -Wold-style-cast) alike. */
static inline int64_t locklab_clockshim_apply(const struct locklab_clockshim_params* p,
                                              int64_t real_ns) {
  if (p->frozen != 0) return p->frozen_ns;
  locklab_clockshim_i128 elapsed = real_ns;
  elapsed -= p->anchor_real_ns;
  const locklab_clockshim_i128 scaled = elapsed * (1000000 + p->rate_ppm) / 1000000;
  const int64_t shimmed = p->anchor_shim_ns + scaled; /* in range for any real date */
  return shimmed;
}

#endif
