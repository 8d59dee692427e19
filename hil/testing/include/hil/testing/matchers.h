// gmock matchers for measured cases (device_bench.h). Each says what was
// measured and what was expected when it does not match, e.g.
//   Value of: Measure(kws)
//   Expected: has a median latency below 1000 us
//     Actual: kws/reference/mps2-an386 (median latency 1216000 us)
#pragma once

#include <gmock/gmock.h>

#include <cmath>

#include "hil/testing/device_bench.h"

namespace hil::testing {

// The case ran and every check of hil run held (expectations aside).
MATCHER(Ran, "ran on the bench without an error") {
  if (arg.status == Outcome::kError) {
    *result_listener << "error: " << arg.error;
    return false;
  }
  return true;
}

MATCHER_P(MedianLatencyBelowUs, limit_us,
          "has a median latency below " + ::testing::PrintToString(limit_us) + " us") {
  *result_listener << "median latency " << arg.latency_median_us << " us";
  return arg.status != Outcome::kError && arg.latency_median_us < limit_us;
}

MATCHER_P(MedianEnergyBelowUj, limit_uj,
          "uses below " + ::testing::PrintToString(limit_uj) + " uJ per inference (median)") {
  *result_listener << "median energy " << arg.energy_median_uj << " uJ";
  return arg.status != Outcome::kError && arg.energy_median_uj < limit_uj;
}

MATCHER_P2(EnergyWithinPercentOf, baseline_uj, percent,
           "uses within " + ::testing::PrintToString(percent) + " % of " +
               ::testing::PrintToString(baseline_uj) + " uJ per inference") {
  const double change = 100.0 * (arg.energy_median_uj - baseline_uj) / baseline_uj;
  *result_listener << "median energy " << arg.energy_median_uj << " uJ, " << change
                   << " % from the baseline";
  return arg.status != Outcome::kError && std::abs(change) <= percent;
}

MATCHER(OutputsEqualReference, "has outputs equal to the host's reference, bit for bit") {
  if (!arg.outputs_match) {
    *result_listener << "no outputs were compared (give the case an input or a dataset)";
    return false;
  }
  *result_listener << (*arg.outputs_match ? "outputs match" : "outputs differ");
  return *arg.outputs_match;
}

MATCHER_P(Top1AccuracyAtLeast, minimum,
          "classifies at least " + ::testing::PrintToString(minimum) + " of its dataset") {
  if (!arg.top1_accuracy) {
    *result_listener << "no dataset was run";
    return false;
  }
  *result_listener << "top-1 accuracy " << *arg.top1_accuracy;
  return *arg.top1_accuracy >= minimum;
}

}  // namespace hil::testing
