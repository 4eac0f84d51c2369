// ClockControl: the control file's life (create, map, unmap) and the
// seqlock writes that change the shimmed clock (layout.h).
#include "locklab/clockshim/control.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "locklab/clockshim/layout.h"

namespace locklab::clockshim {
namespace {

constexpr std::int64_t kPpmScale = 1'000'000;
constexpr std::size_t kSize = sizeof(locklab_clockshim_state);

[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

locklab_clockshim_state* map_file(int fd, const std::filesystem::path& path) {
  void* map = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    const int e = errno;
    ::close(fd);
    errno = e;
    throw_errno("mmap", path);
  }
  ::close(fd);
  return static_cast<locklab_clockshim_state*>(map);
}

std::int64_t real_ns() { return ClockControl::real_now().time_since_epoch().count(); }

locklab_clockshim_params current(const locklab_clockshim_state* s) { return locklab_clockshim_read(s); }

}  // namespace

ClockControl::ClockControl(std::filesystem::path path, locklab_clockshim_state* state)
    : path_(std::move(path)), state_(state) {}

ClockControl ClockControl::create(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open", path);
  if (::ftruncate(fd, static_cast<off_t>(kSize)) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    throw_errno("ftruncate", path);
  }
  locklab_clockshim_state* s = map_file(fd, path);
  // A fresh file is all zeros: real time (anchors equal, rate 0, running).
  // The magic goes last, so a shim that maps the file early never accepts
  // a half-made one.
  __atomic_store_n(&s->magic, LOCKLAB_CLOCKSHIM_MAGIC, __ATOMIC_RELEASE);
  return ClockControl(path, s);
}

ClockControl ClockControl::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw_errno("open", path);
  struct stat st{};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(kSize)) {
    ::close(fd);
    throw std::runtime_error("not a clock shim control file (too short): " + path.string());
  }
  ClockControl control(path, map_file(fd, path));
  if (__atomic_load_n(&control.state_->magic, __ATOMIC_ACQUIRE) != LOCKLAB_CLOCKSHIM_MAGIC) {
    throw std::runtime_error("not a clock shim control file (bad magic): " + path.string());
  }
  return control;
}

ClockControl::ClockControl(ClockControl&& other) noexcept
    : path_(std::move(other.path_)), state_(std::exchange(other.state_, nullptr)) {}

ClockControl& ClockControl::operator=(ClockControl&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) ::munmap(state_, kSize);
    path_ = std::move(other.path_);
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

ClockControl::~ClockControl() {
  if (state_ != nullptr) ::munmap(state_, kSize);
}

std::filesystem::path ClockControl::library() { return LOCKLAB_CLOCKSHIM_LIBRARY; }

std::vector<std::string> ClockControl::environment() const {
  return {"LD_PRELOAD=" + library().string(), std::string(LOCKLAB_CLOCKSHIM_ENV) + "=" + path_.string()};
}

// One seqlock write: the CAS from even to odd excludes other writers (in
// any process), the release fence keeps the odd count ahead of the new
// fields, the final release store publishes them whole.
template <class Change>
void ClockControl::update(Change change) {
  std::uint64_t seq = __atomic_load_n(&state_->seq, __ATOMIC_RELAXED);
  for (;;) {
    if ((seq & 1U) == 0 &&
        __atomic_compare_exchange_n(&state_->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED)) {
      break;
    }
    seq = __atomic_load_n(&state_->seq, __ATOMIC_RELAXED);
  }
  __atomic_thread_fence(__ATOMIC_RELEASE);
  locklab_clockshim_params p{
      .anchor_real_ns = __atomic_load_n(&state_->anchor_real_ns, __ATOMIC_RELAXED),
      .anchor_shim_ns = __atomic_load_n(&state_->anchor_shim_ns, __ATOMIC_RELAXED),
      .rate_ppm = __atomic_load_n(&state_->rate_ppm, __ATOMIC_RELAXED),
      .frozen = __atomic_load_n(&state_->frozen, __ATOMIC_RELAXED),
      .frozen_ns = __atomic_load_n(&state_->frozen_ns, __ATOMIC_RELAXED)};
  change(p);
  __atomic_store_n(&state_->anchor_real_ns, p.anchor_real_ns, __ATOMIC_RELAXED);
  __atomic_store_n(&state_->anchor_shim_ns, p.anchor_shim_ns, __ATOMIC_RELAXED);
  __atomic_store_n(&state_->rate_ppm, p.rate_ppm, __ATOMIC_RELAXED);
  __atomic_store_n(&state_->frozen, p.frozen, __ATOMIC_RELAXED);
  __atomic_store_n(&state_->frozen_ns, p.frozen_ns, __ATOMIC_RELAXED);
  __atomic_store_n(&state_->seq, seq + 2, __ATOMIC_RELEASE);
}

namespace {

// Re-anchors a running clock at the real time `real`: same readings from
// here on, but later changes of rate or offset start from this point.
void reanchor(locklab_clockshim_params& p, std::int64_t real) {
  p.anchor_shim_ns = locklab_clockshim_apply(&p, real);
  p.anchor_real_ns = real;
}

}  // namespace

void ClockControl::set_offset(std::chrono::nanoseconds offset) {
  const std::int64_t real = real_ns();
  update([&](locklab_clockshim_params& p) {
    p = {.anchor_real_ns = real, .anchor_shim_ns = real + offset.count(), .rate_ppm = 0,
         .frozen = 0, .frozen_ns = 0};
  });
}

void ClockControl::set_rate(std::int64_t ppm) {
  if (ppm <= -kPpmScale) {
    throw std::invalid_argument("clock shim rate must be > -1000000 ppm, got " + std::to_string(ppm));
  }
  const std::int64_t real = real_ns();
  update([&](locklab_clockshim_params& p) {
    if (p.frozen == 0) reanchor(p, real);
    p.rate_ppm = ppm;
  });
}

void ClockControl::freeze() {
  const std::int64_t real = real_ns();
  update([&](locklab_clockshim_params& p) {
    if (p.frozen != 0) return;
    p.frozen_ns = locklab_clockshim_apply(&p, real);
    p.frozen = 1;
  });
}

void ClockControl::freeze_at(WallTime at) {
  update([&](locklab_clockshim_params& p) {
    p.frozen_ns = at.time_since_epoch().count();
    p.frozen = 1;
  });
}

void ClockControl::thaw() {
  const std::int64_t real = real_ns();
  update([&](locklab_clockshim_params& p) {
    if (p.frozen == 0) return;
    p.anchor_real_ns = real;
    p.anchor_shim_ns = p.frozen_ns;
    p.frozen = 0;
  });
}

void ClockControl::step(std::chrono::nanoseconds delta) {
  update([&](locklab_clockshim_params& p) {
    if (p.frozen != 0) {
      p.frozen_ns += delta.count();
    } else {
      p.anchor_shim_ns += delta.count();
    }
  });
}

WallTime ClockControl::now() const {
  const locklab_clockshim_params p = current(state_);
  return WallTime{std::chrono::nanoseconds{locklab_clockshim_apply(&p, real_ns())}};
}

bool ClockControl::frozen() const { return current(state_).frozen != 0; }

std::int64_t ClockControl::rate_ppm() const { return current(state_).rate_ppm; }

WallTime ClockControl::real_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return WallTime{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
}

}  // namespace locklab::clockshim
