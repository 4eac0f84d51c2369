// Step names, the shorthand workload as steps, and back.
#include "locklab/scenarios/steps.hpp"

#include <limits>

#include "locklab/sim/detail/overloaded.hpp"

namespace locklab::scenarios {

std::string_view step_name(const Step& step) {
  return std::visit(sim::detail::Overloaded{
                        [](const AcquireStep&) { return "acquire"; },
                        [](const HoldStep&) { return "hold"; },
                        [](const WriteStep&) { return "write"; },
                        [](const ExtendStep&) { return "extend"; },
                        [](const ReleaseStep&) { return "release"; },
                        [](const SleepStep&) { return "sleep"; },
                        [](const CommandStep&) { return "command"; },
                        [](const RepeatStep&) { return "repeat"; },
                    },
                    step.kind);
}

// The one place the shorthand's meaning is written down; shorthand_of()
// below reads the same shape back.
std::vector<Step> steps_of(const sim::ClientWorkload& w) {
  RepeatStep round{.times = w.iterations, .steps = {}};
  round.steps.emplace_back(AcquireStep{.key = w.key, .deadline = w.acquire_timeout, .ttl = {},
                                       .single_attempt = false});
  round.steps.emplace_back(
      WriteStep{.count = w.writes, .work = w.hold, .timeout = w.write_timeout, .careful = w.careful});
  if (w.release) round.steps.emplace_back(ReleaseStep{});
  round.steps.emplace_back(SleepStep{.duration = w.think});
  std::vector<Step> steps;
  steps.emplace_back(SleepStep{.duration = w.start_after});
  steps.emplace_back(std::move(round));
  return steps;
}

std::optional<sim::ClientWorkload> shorthand_of(const std::vector<Step>& steps) {
  if (steps.size() != 2) return std::nullopt;
  const auto* start = std::get_if<SleepStep>(&steps[0].kind);
  const auto* round = std::get_if<RepeatStep>(&steps[1].kind);
  if (start == nullptr || round == nullptr) return std::nullopt;
  const std::vector<Step>& body = round->steps;
  if (body.size() != 3 && body.size() != 4) return std::nullopt;
  const auto* acquire = std::get_if<AcquireStep>(&body[0].kind);
  const auto* write = std::get_if<WriteStep>(&body[1].kind);
  const bool releases = body.size() == 4;
  if (releases && !std::holds_alternative<ReleaseStep>(body[2].kind)) return std::nullopt;
  const auto* think = std::get_if<SleepStep>(&body.back().kind);
  if (acquire == nullptr || write == nullptr || think == nullptr) return std::nullopt;
  if (acquire->ttl || acquire->single_attempt) return std::nullopt;
  sim::ClientWorkload w{.key = acquire->key,
                        .iterations = round->times,
                        .start_after = start->duration,
                        .acquire_timeout = acquire->deadline,
                        .writes = write->count,
                        .hold = write->work,
                        .write_timeout = write->timeout,
                        .think = think->duration,
                        .release = releases,
                        .careful = write->careful};
  return w;
}

std::uint64_t executed_steps(const std::vector<Step>& steps) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t total = 0;
  for (const Step& step : steps) {
    std::uint64_t here = 1;
    if (const auto* repeat = std::get_if<RepeatStep>(&step.kind)) {
      const std::uint64_t body = executed_steps(repeat->steps);
      const auto times = static_cast<std::uint64_t>(std::max(0, repeat->times));
      here = body != 0 && times > kMax / body ? kMax : body * times;
      here = here == kMax ? kMax : here + 1;
    }
    total = here > kMax - total ? kMax : total + here;
  }
  return total;
}

}  // namespace locklab::scenarios
