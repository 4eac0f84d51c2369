// Simpler versions of a list of steps, one edit each (shrink_steps.hpp).
#include "shrink_steps.hpp"

#include <utility>

namespace locklab::scenarios::detail {

namespace {

// The simpler versions of one step in place (the step itself edited, or a
// list inside it simplified), without removing it.
std::vector<Step> simpler_step(const Step& step) {
  std::vector<Step> out;
  if (const auto* r = std::get_if<RepeatStep>(&step.kind)) {
    if (r->times > 1) out.emplace_back(RepeatStep{.times = 1, .steps = r->steps});
    if (r->times > 2) out.emplace_back(RepeatStep{.times = r->times / 2, .steps = r->steps});
    if (r->times > 1) out.emplace_back(RepeatStep{.times = r->times - 1, .steps = r->steps});
    for (std::vector<Step>& inner : simpler_steps(r->steps)) {
      out.emplace_back(RepeatStep{.times = r->times, .steps = std::move(inner)});
    }
  } else if (const auto* g = std::get_if<GuardStep>(&step.kind)) {
    for (std::vector<Step>& inner : simpler_steps(g->steps)) out.emplace_back(GuardStep{.steps = std::move(inner)});
  } else if (const auto* m = std::get_if<ManagerStep>(&step.kind)) {
    for (std::size_t i = 0; m->waiters.size() > 1 && i < m->waiters.size(); ++i) {
      ManagerStep fewer = *m;
      fewer.waiters.erase(fewer.waiters.begin() + static_cast<std::ptrdiff_t>(i));
      out.emplace_back(std::move(fewer));
    }
  } else if (const auto* w = std::get_if<WriteStep>(&step.kind)) {
    if (w->count > 1) {
      WriteStep once = *w;
      once.count = 1;
      out.emplace_back(once);
    }
  } else if (const auto* h = std::get_if<HoldStep>(&step.kind)) {
    if (h->min != h->max) out.emplace_back(HoldStep{.min = h->min, .max = h->min});
    if (h->max != sim::Duration::zero()) out.emplace_back(HoldStep{});
  } else if (const auto* s = std::get_if<SleepStep>(&step.kind)) {
    if (s->duration != sim::Duration::zero()) out.emplace_back(SleepStep{});
  }
  return out;
}

}  // namespace

std::vector<std::vector<Step>> simpler_steps(const std::vector<Step>& steps) {
  std::vector<std::vector<Step>> out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::vector<Step> fewer = steps;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(fewer));
  }
  // A repeat run once, or a guard, replaced by its steps.
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto* r = std::get_if<RepeatStep>(&steps[i].kind);
    const auto* g = std::get_if<GuardStep>(&steps[i].kind);
    if ((r == nullptr || r->times != 1) && g == nullptr) continue;
    const std::vector<Step>& body = r != nullptr ? r->steps : g->steps;
    std::vector<Step> inlined(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(i));
    inlined.insert(inlined.end(), body.begin(), body.end());
    inlined.insert(inlined.end(), steps.begin() + static_cast<std::ptrdiff_t>(i) + 1, steps.end());
    out.push_back(std::move(inlined));
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (Step& simpler : simpler_step(steps[i])) {
      std::vector<Step> edited = steps;
      edited[i] = std::move(simpler);
      out.push_back(std::move(edited));
    }
  }
  return out;
}

}  // namespace locklab::scenarios::detail
