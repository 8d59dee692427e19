#include "hil/measure/windows.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace hil::measure {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool Usable(const Reading& reading) {
  return reading.state == Reading::State::kKnown || reading.state == Reading::State::kInGap;
}

}  // namespace

WindowBuilder::WindowBuilder(const EnergyTimeline& timeline, double sample_rate_hz,
                             double guard_samples)
    : timeline_(timeline), rate_(sample_rate_hz), guard_(guard_samples) {}

std::string WindowBuilder::Seconds(double position) const {
  char text[40];
  std::snprintf(text, sizeof text, "%.6f s", position / rate_);
  return text;
}

WindowBuilder::Mark WindowBuilder::MarkAt(double position) const {
  return Mark{position, timeline_.At(position)};
}

std::string WindowBuilder::EndProblem(const Mark& mark, const char* which) const {
  const std::string edge = std::string("the ") + which + " edge at " + Seconds(mark.position);
  switch (mark.reading.state) {
    case Reading::State::kKnown:
      return {};
    case Reading::State::kInGap:
      return edge + " fell among lost samples, so its time is unknown";
    case Reading::State::kTooOld:
      return timeline_.forgot_any() ? edge +
                                          " came after its samples had left the kept history "
                                          "(the host edge source lags too far behind the probe)"
                                    : edge + " is before the capture's first sample";
    case Reading::State::kNotYet:
      return edge + " is after the capture's last sample";
  }
  return {};
}

void WindowBuilder::OnSamples() {
  if (timeline_.empty()) return;
  if (!started_) {
    started_ = true;
    if (open_ == 0) idle_from_ = static_cast<double>(timeline_.first_index()) + guard_;
  }
  if (idle_from_ && !idle_mark_ && *idle_from_ <= static_cast<double>(timeline_.last_index())) {
    idle_mark_ = MarkAt(*idle_from_);
  }
}

void WindowBuilder::IdleSegment(const Mark& from, const Mark& to) {
  if (from.reading.state != Reading::State::kKnown || to.reading.state != Reading::State::kKnown)
    return;
  if (to.reading.lost_through != from.reading.lost_before) return;  // never across lost time
  const double samples = to.position - from.position;
  if (samples <= 0) return;
  const double energy = to.reading.energy - from.reading.energy;
  idle_energy_ += energy;
  idle_samples_ += samples;
  ++idle_segments_;
  const double power = energy / samples;
  segment_power_sum_ += power;
  segment_power_squares_ += power * power;
}

void WindowBuilder::OpenWindow(double position) {
  if (open_++ > 0) return;
  if (idle_from_) {
    const double idle_to = position - guard_;
    if (idle_to > *idle_from_) {
      IdleSegment(idle_mark_ ? *idle_mark_ : MarkAt(*idle_from_), MarkAt(idle_to));
    }
  }
  idle_from_.reset();
  idle_mark_.reset();
}

void WindowBuilder::CloseWindow(double position) {
  if (--open_ > 0) return;
  idle_from_ = position + guard_;
  idle_mark_.reset();
  OnSamples();
}

Window WindowBuilder::Close(WindowKind kind, const Mark& start, const Mark& end,
                            std::vector<std::string> problems) {
  Window window;
  window.kind = kind;
  window.index = next_index_[static_cast<int>(kind)]++;
  window.start_s = start.position / rate_;
  window.end_s = end.position / rate_;
  window.duration_s = (end.position - start.position) / rate_;
  for (const auto& [mark, which] : {std::pair{&start, "opening"}, std::pair{&end, "closing"}}) {
    std::string problem = EndProblem(*mark, which);
    if (!problem.empty()) problems.push_back(std::move(problem));
  }
  if (Usable(start.reading) && Usable(end.reading)) {
    window.energy_j = (end.reading.energy - start.reading.energy) / rate_;
    window.lost_samples = end.reading.lost_through - start.reading.lost_before;
    if (window.lost_samples > 0) {
      problems.push_back(std::to_string(window.lost_samples) +
                         " samples were lost inside the window");
    }
  } else {
    window.energy_j = kNaN;
  }
  window.problems = std::move(problems);
  return window;
}

void WindowBuilder::Unopened(WindowKind kind, const Edge& edge, const std::string& why) {
  Window window;
  window.kind = kind;
  window.index = next_index_[static_cast<int>(kind)]++;
  window.start_s = window.duration_s = window.energy_j = kNaN;
  window.end_s = edge.position / rate_;
  window.problems.push_back(why);
  windows_.push_back(std::move(window));
}

void WindowBuilder::OnEdge(const Edge& edge) {
  ++counts_.edges[static_cast<int>(edge.role)];
  switch (edge.role) {
    case Role::kInference:
      if (edge.rising) {
        if (inference_) {
          // The same line rose twice: its fall was never seen. The span so
          // far is reported, as invalid, and a new window begins here.
          windows_.push_back(Close(WindowKind::kInference, inference_->start, MarkAt(edge.position),
                                   {"missing falling edge: the inference line rose again at " +
                                    Seconds(edge.position) + " with this window still open"}));
        } else {
          OpenWindow(edge.position);
        }
        inference_ = Open{MarkAt(edge.position), {}};
        return;
      }
      if (!inference_) {
        Unopened(WindowKind::kInference, edge,
                 "missing rising edge: the inference line fell at " + Seconds(edge.position) +
                     " with no window open");
        return;
      }
      {
        const Mark end = MarkAt(edge.position);
        Window window = Close(WindowKind::kInference, inference_->start, end, {});
        if (!inference_->boundaries.empty() && std::isfinite(window.energy_j)) {
          const Mark* from = &inference_->start;
          double sum = 0;
          for (size_t i = 0; i <= inference_->boundaries.size(); ++i) {
            const Mark* to = i < inference_->boundaries.size() ? &inference_->boundaries[i] : &end;
            LayerSpan layer;
            layer.duration_s = (to->position - from->position) / rate_;
            layer.energy_j = (to->reading.energy - from->reading.energy) / rate_;
            sum += layer.energy_j;
            window.layers.push_back(layer);
            from = to;
          }
          window.layer_sum_error_pct = 100 * std::abs(sum - window.energy_j) / window.energy_j;
        }
        windows_.push_back(std::move(window));
        inference_.reset();
        CloseWindow(edge.position);
      }
      return;
    case Role::kLayer:
      if (inference_) {
        inference_->boundaries.push_back(MarkAt(edge.position));
      } else {
        ++counts_.stray_layer_edges;
      }
      return;
    case Role::kTimestamp:
      if (edge.rising) return;  // the pulse's falling edge is the mark
      if (!timestamp_) {
        OpenWindow(edge.position);
        timestamp_ = MarkAt(edge.position);
        return;
      }
      windows_.push_back(Close(WindowKind::kTimestamp, *timestamp_, MarkAt(edge.position), {}));
      timestamp_.reset();
      CloseWindow(edge.position);
      return;
  }
}

void WindowBuilder::Finish() {
  if (timeline_.empty()) return;
  const Mark last = MarkAt(static_cast<double>(timeline_.last_index()));
  if (inference_) {
    windows_.push_back(Close(WindowKind::kInference, inference_->start, last,
                             {"missing falling edge: the capture ended with this window open"}));
    inference_.reset();
    --open_;
  }
  if (timestamp_) {
    windows_.push_back(
        Close(WindowKind::kTimestamp, *timestamp_, last,
              {"missing closing timestamp edge: the capture ended with this window open"}));
    timestamp_.reset();
    --open_;
  }
  if (open_ == 0 && idle_from_ && last.position > *idle_from_) {
    IdleSegment(idle_mark_ ? *idle_mark_ : MarkAt(*idle_from_), last);
  }
  idle_from_.reset();
}

Baseline WindowBuilder::baseline() const {
  Baseline baseline;
  if (idle_samples_ <= 0) return baseline;
  baseline.power_w = idle_energy_ / idle_samples_;
  baseline.seconds = idle_samples_ / rate_;
  baseline.segments = idle_segments_;
  if (idle_segments_ > 1) {
    const double n = static_cast<double>(idle_segments_);
    const double mean = segment_power_sum_ / n;
    baseline.segment_power_std_w =
        std::sqrt(std::max(0.0, (segment_power_squares_ - n * mean * mean) / (n - 1)));
  }
  return baseline;
}

}  // namespace hil::measure
