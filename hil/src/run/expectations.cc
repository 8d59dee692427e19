#include "hil/run/expectations.h"

#include <cmath>
#include <cstdio>

namespace hil::run {
namespace {

double StatOf(const measure::Stats& stats, const std::string& stat) {
  if (stat == "n") return static_cast<double>(stats.n);
  if (stat == "mean") return stats.mean;
  if (stat == "median") return stats.median;
  if (stat == "std") return stats.std;
  if (stat == "min") return stats.min;
  if (stat == "max") return stats.max;
  if (stat == "p95") return stats.p95;
  return std::nan("");
}

// Ten significant digits: a latency of seconds in microseconds stays in
// fixed notation (1216424.25, not 1.21642e+06).
std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

}  // namespace

double MetricValue(const CaseResult& result, const std::string& metric) {
  const size_t dot = metric.find('.');
  const std::string figure = metric.substr(0, dot), stat = metric.substr(dot + 1);
  const measure::CaseFigures& f = result.figures;
  if (figure == "latency_us") return StatOf(f.latency_us, stat);
  if (figure == "energy_uJ") return StatOf(f.energy_uj, stat);
  if (figure == "net_energy_uJ") return StatOf(f.net_energy_uj, stat);
  if (figure == "power_mW") return StatOf(f.power_mw, stat);
  return std::nan("");
}

bool JudgeExpectations(const plan::Plan& plan, CaseResult& result, const CaseResult* baseline) {
  result.expectations.clear();
  bool all = true;
  for (const plan::Expectation& e : plan.expectations) {
    ExpectationResult judged;
    judged.what = e.text;
    const double value = MetricValue(result, e.metric);
    if (!std::isfinite(value)) {
      judged.detail = "no valid measurement of " + e.metric;
    } else if (e.baseline) {
      const double reference =
          baseline != nullptr ? MetricValue(*baseline, e.metric) : std::nan("");
      if (!std::isfinite(reference)) {
        // Nothing to regress against: never a pass by accident.
        judged.skipped = plan.on_missing_baseline == "skip";
        judged.detail = "no baseline: no earlier finished run of plan '" + plan.name +
                        "' measured this case (measured " + Number(value) + ")";
      } else {
        const double change = 100 * (value - reference) / reference;
        judged.ok = std::abs(change) <= e.value;
        judged.detail = "measured " + Number(value) + ", baseline " + Number(reference) + " (" +
                        (change >= 0 ? "+" : "") + Number(change) + " %)";
      }
    } else {
      judged.ok = e.op == "<"    ? value < e.value
                  : e.op == "<=" ? value <= e.value
                  : e.op == ">"  ? value > e.value
                                 : value >= e.value;
      judged.detail = "measured " + Number(value);
    }
    all = all && (judged.ok || judged.skipped);
    result.expectations.push_back(judged);
  }
  return all;
}

}  // namespace hil::run
