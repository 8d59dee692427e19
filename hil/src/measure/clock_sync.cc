#include "hil/measure/clock_sync.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace hil::measure {

ClockSync::ClockSync(double sample_rate_hz, double known_latency_s, double segment_s,
                     size_t segments)
    : rate_(sample_rate_hz),
      latency_(known_latency_s),
      segment_samples_(segment_s * sample_rate_hz),
      segments_(segments < 1 ? 1 : segments) {}

void ClockSync::Observe(double host_s, uint64_t end) {
  const double index = static_cast<double>(end);
  const Minimum here{index, host_s - index / rate_};
  const double segment = std::floor(index / segment_samples_);
  if (have_current_ && segment != current_segment_) {
    minima_.push_back(current_);
    if (minima_.size() > segments_) minima_.pop_front();
    have_current_ = false;
  }
  if (!have_current_ || here.excess < current_.excess) current_ = here;
  have_current_ = true;
  current_segment_ = segment;
}

void ClockSync::Fit(double& intercept, double& slope) const {
  std::vector<Minimum> points(minima_.begin(), minima_.end());
  if (have_current_) points.push_back(current_);
  intercept = slope = 0;
  if (points.empty()) return;
  // Delays are never below their minimum, so the true line lies under every
  // point: take the lower convex hull, and of its edges the one spanning
  // the points' mean index (the line under all points that is closest to
  // them on average).
  std::vector<Minimum> hull;
  for (const Minimum& p : points) {
    while (hull.size() >= 2) {
      const Minimum& a = hull[hull.size() - 2];
      const Minimum& b = hull.back();
      // Drop b unless it lies below the line from a to p.
      const double cross =
          (b.index - a.index) * (p.excess - a.excess) - (b.excess - a.excess) * (p.index - a.index);
      if (cross > 0) break;
      hull.pop_back();
    }
    hull.push_back(p);
  }
  // Over less than a second, delay jitter swamps any real drift (crystals
  // differ by tens of ppm): an offset alone is the better estimate.
  if (hull.size() == 1 || hull.back().index - hull.front().index < rate_) {
    intercept = hull[0].excess;
    for (const Minimum& p : hull) intercept = std::min(intercept, p.excess);
    return;
  }
  double mean = 0;
  for (const Minimum& p : points) mean += p.index;
  mean /= static_cast<double>(points.size());
  size_t edge = 0;
  while (edge + 2 < hull.size() && hull[edge + 1].index < mean) ++edge;
  const Minimum& a = hull[edge];
  const Minimum& b = hull[edge + 1];
  slope = (b.excess - a.excess) / (b.index - a.index);
  intercept = a.excess - slope * a.index;
}

double ClockSync::ToPosition(double host_s) const {
  double intercept, slope;
  Fit(intercept, slope);
  // A sample reaches the host at index / rate + intercept + slope * index,
  // the transport latency after it was taken.
  return (host_s - intercept + latency_) / (1 / rate_ + slope);
}

double ClockSync::drift_ppm() const {
  double intercept, slope;
  Fit(intercept, slope);
  return slope * rate_ * 1e6;
}

}  // namespace hil::measure
