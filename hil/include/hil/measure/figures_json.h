// Measurement results as JSON, in the shapes results.json fixes
// (STATS = {"n", "mean", "median", "std", "min", "max", "p95", "ci95"}).
// Undefined numbers (NaN) are written as null, never as 0.
#pragma once

#include <nlohmann/json.hpp>

#include "hil/measure/statistics.h"
#include "hil/measure/summary.h"
#include "hil/measure/windows.h"

namespace hil::measure {

// A number, or null when it is not finite.
nlohmann::ordered_json NumberJson(double value);
nlohmann::ordered_json StatsJson(const Stats& stats);
// The inverse of StatsJson, for results read back (null reads as NaN).
Stats StatsFromJson(const nlohmann::ordered_json& json);
// How many windows were seen, used, left out, and had no usable layer split.
nlohmann::ordered_json WindowCountsJson(const CaseFigures& figures);
nlohmann::ordered_json WindowJson(const Window& window);
// latency_us, energy_uJ, net_energy_uJ, power_mW, layers, baseline,
// windows (counts), invalid windows with reasons, outliers, problems.
nlohmann::ordered_json CaseFiguresJson(const CaseFigures& figures);

}  // namespace hil::measure
