// The measurement engine: a probe's sample blocks (and host-timestamped
// edges) in, verified windows and an idle baseline out.
//
//   blocks --> EnergyTimeline (cumulative energy and loss, bounded history)
//         \--> edges from logic bits / probe events --+
//   host edges (already on the probe's clock) --------+--> glitch filter
//        --> time-ordered merge --> WindowBuilder --> windows, baseline
//
// Memory is bounded by the history (history_s of samples) plus the windows
// themselves: a capture of any length streams through.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hil/error.h"
#include "hil/measure/edges.h"
#include "hil/measure/timeline.h"
#include "hil/measure/windows.h"
#include "hil/power_probe.h"

namespace hil::measure {

struct TriggerWiring {
  EdgeSource source = EdgeSource::kNone;
  uint8_t line = 0;        // probe logic input (kSampled, kEvents)
  double min_pulse_s = 0;  // shorter pulses are glitches, dropped
};

struct MeasureOptions {
  double sample_rate_hz = 0;  // the probe's
  // The DUT's supply voltage, when the probe's own reading is not to be
  // used (or it has none).
  std::optional<double> supply_v;
  // Indexed by Role. Defaults: the virtual bench's and the PPK2's wiring
  // (inference D0, layer D1, timestamp D2, all sampled).
  std::array<TriggerWiring, kRoleCount> triggers = {TriggerWiring{EdgeSource::kSampled, 0, 0},
                                                    TriggerWiring{EdgeSource::kSampled, 1, 0},
                                                    TriggerWiring{EdgeSource::kSampled, 2, 0}};
  // Excluded from the idle baseline on both sides of every window, where
  // the DUT may still be waking or settling.
  double guard_s = 0;
  // How far behind the probe a host edge may arrive and still be placed.
  double history_s = 0.5;
  // Layer segments each inference must have; when unset, the number most
  // inference windows have.
  std::optional<size_t> expected_layers;
  // Layer energies must sum to their inference within this.
  double layer_sum_tolerance_pct = 0.01;
};

struct MeasureCounts {
  uint64_t samples = 0;
  uint64_t lost_samples = 0;  // as the probe reported them
  uint64_t glitches[kRoleCount] = {};
  WindowCounts windows;
};

class Measurement {
 public:
  // Errors: configuration (no sample rate, a role on a line out of range).
  static Result<std::unique_ptr<Measurement>> Create(const MeasureOptions& options);

  Measurement(const Measurement&) = delete;
  Measurement& operator=(const Measurement&) = delete;

  // The next block in stream order. Errors: infrastructure (blocks out of
  // order), configuration (no voltage known).
  Status Feed(const SampleBlock& block);

  // An edge seen by host GPIO, placed on the probe's timeline (see
  // ClockSync), in time order per role. Errors: configuration when the role
  // is not wired to the host.
  Status AddHostEdge(Role role, bool rising, double position);
  // Every host edge before `position` has been added: edges of other sources
  // up to there can be released.
  void AdvanceHostClock(double position);

  // The capture is over: held edges are released, open windows closed,
  // layer counts and sums checked.
  void Finish();

  const std::vector<Window>& windows() const { return builder_.windows(); }
  std::vector<Window>& windows() { return builder_.windows(); }
  Baseline baseline() const { return builder_.baseline(); }
  MeasureCounts counts() const;
  const MeasureOptions& options() const { return options_; }
  // The expected layer count the check used (0 when there were no layers).
  size_t layers_expected() const { return layers_expected_; }

 private:
  explicit Measurement(const MeasureOptions& options);
  void DetectSampledEdges(const SampleBlock& block);
  void Release(double safe);
  void CheckLayers();

  MeasureOptions options_;
  EnergyTimeline timeline_;
  WindowBuilder builder_;
  std::array<GlitchFilter, kRoleCount> filters_;
  EdgeMerger merger_;
  std::vector<Edge> confirmed_;
  uint8_t sampled_mask_ = 0;
  bool have_level_ = false;
  uint8_t level_ = 0;
  double host_clock_ = 0;
  uint64_t lost_reported_ = 0;
  size_t layers_expected_ = 0;
  bool finished_ = false;
};

}  // namespace hil::measure
