// Descriptive statistics of one figure over the windows of a case: what
// results.json calls STATS. Undefined values are NaN (written as null), never
// a made-up zero: one window has no spread and no confidence interval.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace hil::measure {

struct Stats {
  size_t n = 0;
  double mean, median, std, min, max, p95;  // NaN when n == 0
  double ci95_low, ci95_high;               // NaN when n < 2
  Stats();
};

// Sample standard deviation (n - 1), the 95th percentile interpolated
// between order statistics (Hyndman and Fan type 7, as R and NumPy default),
// and the 95 % confidence interval of the mean from Student's t.
Stats Describe(std::span<const double> values);

// The two-sided 95 % quantile of Student's t with `df` degrees of freedom
// (t such that P(|T| < t) = 0.95).
double StudentT975(size_t df);

// Quantile q in [0, 1] of sorted values, type 7.
double QuantileOfSorted(std::span<const double> sorted, double q);

// Indices of values outside Tukey's fences, [Q1 - k*IQR, Q3 + k*IQR]. They
// are reported beside the statistics, never removed from them.
std::vector<size_t> TukeyOutliers(std::span<const double> values, double k = 1.5);

}  // namespace hil::measure
