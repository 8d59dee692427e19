// Measurement windows: edges in time order, read against the energy
// timeline, become windows with a duration, an energy, layer segments and,
// when a figure cannot be trusted, the reasons why. Time between windows
// (less a guard band on each side) gives the idle baseline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hil/enum_text.h"
#include "hil/measure/edges.h"
#include "hil/measure/timeline.h"

namespace hil::measure {

enum class WindowKind : uint8_t {
  kInference,  // inference pin high; cut into layers at layer-pin edges
  kTimestamp,  // between two timestamp falling edges, around N inferences
};

}  // namespace hil::measure

template <>
struct hil::EnumText<hil::measure::WindowKind> {
  using Kind = hil::measure::WindowKind;
  static constexpr std::pair<Kind, std::string_view> kWords[] = {{Kind::kInference, "inference"},
                                                                 {Kind::kTimestamp, "timestamp"}};
};

namespace hil::measure {

struct LayerSpan {
  double duration_s = 0;
  double energy_j = 0;
};

struct Window {
  WindowKind kind = WindowKind::kInference;
  uint64_t index = 0;  // per kind, in order of closing
  // On the probe's clock, seconds since its first sample period; NaN where
  // an edge is missing.
  double start_s = 0, end_s = 0;
  double duration_s = 0;
  double energy_j = 0;  // gross: everything the DUT drew
  uint64_t lost_samples = 0;
  std::vector<LayerSpan> layers;  // inference windows with a layer line
  // |sum of layer energies - window energy| / window energy, in percent.
  double layer_sum_error_pct = 0;
  // Why the layer split cannot be used, when the window's own figures can:
  // fewer layer edges than layers (layers shorter than a sample period
  // merge on a sampled pin). An extra edge is a problem of the window.
  std::string layer_problem;
  // Why the figures cannot be trusted; empty when they can.
  std::vector<std::string> problems;

  bool valid() const { return problems.empty(); }
  double power_w() const { return energy_j / duration_s; }
};

// Idle power: energy over time outside every window and its guard bands.
struct Baseline {
  double power_w = 0;
  double seconds = 0;
  uint64_t segments = 0;
  double segment_power_std_w = 0;  // spread between idle stretches
  bool available() const { return seconds > 0; }
};

struct WindowCounts {
  uint64_t edges[kRoleCount] = {};
  uint64_t stray_layer_edges = 0;  // layer edges with no inference window open
};

class WindowBuilder {
 public:
  WindowBuilder(const EnergyTimeline& timeline, double sample_rate_hz, double guard_samples);

  // Samples were appended to the timeline.
  void OnSamples();
  // The next edge in time order.
  void OnEdge(const Edge& edge);
  // The capture is over: open windows are closed as invalid, the last idle
  // stretch is counted.
  void Finish();

  std::vector<Window>& windows() { return windows_; }
  const std::vector<Window>& windows() const { return windows_; }
  Baseline baseline() const;
  const WindowCounts& counts() const { return counts_; }

 private:
  struct Mark {
    double position = 0;
    Reading reading;
  };
  struct Open {
    Mark start;
    std::vector<Mark> boundaries;  // layer edges
  };

  Mark MarkAt(double position) const;
  void OpenWindow(double position);
  void CloseWindow(double position);
  Window Close(WindowKind kind, const Mark& start, const Mark& end,
               std::vector<std::string> problems);
  void Unopened(WindowKind kind, const Edge& edge, const std::string& why);
  std::string Seconds(double position) const;
  std::string EndProblem(const Mark& mark, const char* which) const;
  void IdleSegment(const Mark& from, const Mark& to);

  const EnergyTimeline& timeline_;
  double rate_;
  double guard_;
  std::vector<Window> windows_;
  uint64_t next_index_[2] = {};
  std::optional<Open> inference_;
  std::optional<Mark> timestamp_;
  int open_ = 0;  // windows open now, of any kind
  WindowCounts counts_;

  bool started_ = false;
  std::optional<double> idle_from_;  // where the current idle stretch begins
  std::optional<Mark> idle_mark_;    // ... read as soon as the timeline reaches it
  double idle_energy_ = 0, idle_samples_ = 0;
  uint64_t idle_segments_ = 0;
  double segment_power_sum_ = 0, segment_power_squares_ = 0;
};

}  // namespace hil::measure
