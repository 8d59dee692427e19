// What a measured candidate is worth: its objective, whether it meets the
// spec's limits, and the Pareto front of those that do.
#include <algorithm>
#include <cmath>

#include "hil/measure/units.h"
#include "hil/optimize/search.h"
#include "hil/run/results_json.h"

namespace hil::optimize {

using measure::Human;
using measure::Quantity;

double ComparableTop1(const Candidate& c) { return std::isnan(c.top1) ? 0 : c.top1; }

std::optional<size_t> BestWholeModel(const std::vector<Candidate>& candidates,
                                     const plan::OptimizeSpec& spec) {
  std::optional<size_t> best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Deployment& d = candidates[i].deployment;
    if (PerLayer(d) || Pruned(d) || !WithinLimits(candidates[i], spec)) continue;
    if (candidates[i].top1 < candidates.front().top1 - spec.limits.top1_drop_pts)
      continue;  // NaN: no dataset
    if (!best ||
        ObjectiveOf(candidates[i], spec.objective) < ObjectiveOf(candidates[*best], spec.objective))
      best = i;
  }
  return best;
}

double ObjectiveOf(const Candidate& c, plan::Objective objective) {
  if (!c.measured) return NAN;
  return objective == plan::Objective::kEnergy ? c.measured->figures.energy_uj.median
                                               : c.measured->figures.latency_us.median;
}

bool WithinLimits(const Candidate& c, const plan::OptimizeSpec& spec, std::string* why) {
  const auto fail = [&](std::string text) {
    if (why != nullptr) *why = std::move(text);
    return false;
  };
  if (!c.excluded.empty()) return fail(c.excluded);
  if (!c.measured) return fail("not measured");
  if (c.measured->status != run::CaseStatus::kPass) return fail("the measurement did not pass");
  const plan::OptimizeLimits& limits = spec.limits;
  const double latency = c.measured->figures.latency_us.median;
  if (limits.latency_us && !(latency <= *limits.latency_us)) {
    return fail("latency " + Human(latency, Quantity::kTimeUs) + " is over the limit of " +
                Human(*limits.latency_us, Quantity::kTimeUs));
  }
  const uint64_t flash = run::FlashBytes(*c.measured), ram = run::RamBytes(*c.measured);
  if (limits.flash_bytes && flash > *limits.flash_bytes) {
    return fail("flash " + measure::HumanBytes(flash) + " is over the limit of " +
                measure::HumanBytes(*limits.flash_bytes));
  }
  if (limits.ram_bytes && ram > *limits.ram_bytes) {
    return fail("RAM " + measure::HumanBytes(ram) + " is over the limit of " +
                measure::HumanBytes(*limits.ram_bytes));
  }
  return true;
}

std::vector<size_t> ParetoFront(const std::vector<Candidate>& candidates,
                                const plan::OptimizeSpec& spec) {
  std::vector<size_t> within;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (WithinLimits(candidates[i], spec)) within.push_back(i);
  std::vector<size_t> front;
  for (size_t i : within) {
    const double cost = ObjectiveOf(candidates[i], spec.objective);
    const double score = ComparableTop1(candidates[i]);
    const bool beaten = std::any_of(within.begin(), within.end(), [&](size_t j) {
      const double other = ObjectiveOf(candidates[j], spec.objective);
      const double other_score = ComparableTop1(candidates[j]);
      return j != i && other <= cost && other_score >= score &&
             (other < cost || other_score > score);
    });
    if (!beaten) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    return ObjectiveOf(candidates[a], spec.objective) < ObjectiveOf(candidates[b], spec.objective);
  });
  return front;
}

}  // namespace hil::optimize
