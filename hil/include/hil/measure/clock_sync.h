// Places host-timestamped edges (host GPIO, as libgpiod stamps them) on the
// probe's sample timeline.
//
// Every block that reaches the host is an observation: its last sample was
// taken no later than the host time it arrived. Arrival minus sample time is
// the transport delay plus the offset between the clocks. Delays are never
// below their minimum, so the line of offset and drift lies under every
// observation: it is taken from the lower convex hull of the observations
// (the minimum of each stretch of time, to keep memory bounded). The
// smallest delay itself cannot be told from the offset: a known transport
// latency can be given, and the rest is the mapping's bias, which shifts
// both edges of a window alike (latency and energy of a window change by at
// most the power over that bias, not by the bias itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace hil::measure {

class ClockSync {
 public:
  // segment_s: the stretch of probe time each minimum is taken over;
  // segments: how many recent minima the drift line is fitted through.
  explicit ClockSync(double sample_rate_hz, double known_latency_s = 0, double segment_s = 0.1,
                     size_t segments = 600);

  // Samples up to (not including) index `end` had arrived at host time `host_s`.
  void Observe(double host_s, uint64_t end);

  bool ready() const { return !minima_.empty() || have_current_; }
  // The probe-timeline position of a host time.
  double ToPosition(double host_s) const;
  // Drift of the probe's clock against the host's, in parts per million
  // (positive: the probe's sample period is longer than nominal).
  double drift_ppm() const;

 private:
  struct Minimum {
    double index;   // sample index of the observation
    double excess;  // host time - index / rate, the smallest in its segment
  };
  void Fit(double& intercept, double& slope) const;

  double rate_;
  double latency_;
  double segment_samples_;
  size_t segments_;
  std::deque<Minimum> minima_;  // closed segments
  Minimum current_{};
  bool have_current_ = false;
  double current_segment_ = 0;
};

}  // namespace hil::measure
