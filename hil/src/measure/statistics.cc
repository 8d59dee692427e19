#include "hil/measure/statistics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace hil::measure {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// t(0.975, df) for df = 1..30, from standard tables; beyond, a Cornish-Fisher
// expansion around the normal quantile is accurate to better than 1e-4.
constexpr std::array<double, 30> kT975 = {
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};

}  // namespace

Stats::Stats()
    : mean(kNaN),
      median(kNaN),
      std(kNaN),
      min(kNaN),
      max(kNaN),
      p95(kNaN),
      ci95_low(kNaN),
      ci95_high(kNaN) {}

double StudentT975(size_t df) {
  if (df == 0) return kNaN;
  if (df <= kT975.size()) return kT975[df - 1];
  const double z = 1.959963984540054;
  const double n = static_cast<double>(df);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

double QuantileOfSorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return kNaN;
  const double h = q * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(h));
  if (below + 1 >= sorted.size()) return sorted.back();
  return sorted[below] + (h - static_cast<double>(below)) * (sorted[below + 1] - sorted[below]);
}

Stats Describe(std::span<const double> values) {
  Stats stats;
  stats.n = values.size();
  if (values.empty()) return stats;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  // Two passes: the mean first, then squared deviations from it, which
  // keeps the variance accurate when the spread is tiny next to the mean.
  double sum = 0;
  for (double v : sorted) sum += v;
  const double n = static_cast<double>(sorted.size());
  stats.mean = sum / n;
  stats.min = sorted.front();
  stats.max = sorted.back();
  stats.median = QuantileOfSorted(sorted, 0.5);
  stats.p95 = QuantileOfSorted(sorted, 0.95);
  if (sorted.size() < 2) return stats;
  double squares = 0;
  for (double v : sorted) squares += (v - stats.mean) * (v - stats.mean);
  stats.std = std::sqrt(squares / (n - 1));
  const double half = StudentT975(sorted.size() - 1) * stats.std / std::sqrt(n);
  stats.ci95_low = stats.mean - half;
  stats.ci95_high = stats.mean + half;
  return stats;
}

std::vector<size_t> TukeyOutliers(std::span<const double> values, double k) {
  std::vector<size_t> outliers;
  if (values.size() < 4) return outliers;  // quartiles of fewer say nothing
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const double q1 = QuantileOfSorted(sorted, 0.25), q3 = QuantileOfSorted(sorted, 0.75);
  const double low = q1 - k * (q3 - q1), high = q3 + k * (q3 - q1);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < low || values[i] > high) outliers.push_back(i);
  }
  return outliers;
}

}  // namespace hil::measure
