#include "hil/measure/measurement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>

namespace hil::measure {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

Result<std::unique_ptr<Measurement>> Measurement::Create(const MeasureOptions& options) {
  if (!(options.sample_rate_hz > 0)) {
    return ConfigurationError("the measurement needs the probe's sample rate");
  }
  if (options.supply_v && !(*options.supply_v > 0)) {
    return ConfigurationError("the supply voltage must be positive");
  }
  if (!(options.history_s > 0) || options.guard_s < 0) {
    return ConfigurationError("history_s must be positive and guard_s not negative");
  }
  for (int r = 0; r < kRoleCount; ++r) {
    const TriggerWiring& wiring = options.triggers[r];
    const char* role = RoleName(static_cast<Role>(r));
    if ((wiring.source == EdgeSource::kSampled || wiring.source == EdgeSource::kEvents) &&
        wiring.line > 7) {
      return ConfigurationError(std::string("the ") + role + " trigger is on logic input " +
                                std::to_string(wiring.line) + "; probes have inputs 0..7");
    }
    if (wiring.min_pulse_s < 0) {
      return ConfigurationError(std::string("the ") + role +
                                " trigger's minimum pulse width is negative");
    }
  }
  return std::unique_ptr<Measurement>(new Measurement(options));
}

Measurement::Measurement(const MeasureOptions& options)
    : options_(options),
      timeline_(options.supply_v,
                static_cast<uint64_t>(std::ceil(options.history_s * options.sample_rate_hz))),
      builder_(timeline_, options.sample_rate_hz, options.guard_s * options.sample_rate_hz) {
  for (int r = 0; r < kRoleCount; ++r) {
    const TriggerWiring& wiring = options.triggers[r];
    filters_[r] = GlitchFilter(wiring.min_pulse_s * options.sample_rate_hz);
    if (wiring.source == EdgeSource::kSampled)
      sampled_mask_ |= static_cast<uint8_t>(1u << wiring.line);
  }
}

Status Measurement::Feed(const SampleBlock& block) {
  if (finished_) return InfrastructureError("samples fed to a finished measurement");
  HIL_RETURN_IF_ERROR(timeline_.Append(block));
  lost_reported_ += block.lost_before + block.lost_inside;
  if (timeline_.empty()) return OkStatus();
  builder_.OnSamples();

  if (sampled_mask_ != 0 && !block.logic.empty()) DetectSampledEdges(block);
  if (!block.events.empty()) {
    for (const LogicEvent& event : block.events) {
      for (int r = 0; r < kRoleCount; ++r) {
        const TriggerWiring& wiring = options_.triggers[r];
        if (wiring.source != EdgeSource::kEvents || wiring.line != event.line) continue;
        filters_[r].Offer(
            Edge{static_cast<double>(event.sample_index) - 0.5, static_cast<Role>(r), event.rising},
            confirmed_);
      }
    }
  }
  // Every probe edge before the next sample's own is known now.
  const double horizon = static_cast<double>(timeline_.last_index()) + 0.5;
  for (int r = 0; r < kRoleCount; ++r) {
    const EdgeSource source = options_.triggers[r].source;
    if (source == EdgeSource::kSampled || source == EdgeSource::kEvents) {
      filters_[r].Advance(horizon, confirmed_);
    }
  }
  Release(static_cast<double>(timeline_.last_index()));
  return OkStatus();
}

void Measurement::DetectSampledEdges(const SampleBlock& block) {
  const uint8_t* logic = block.logic.data();
  const size_t n = block.logic.size();
  size_t i = 0;
  if (!have_level_) {
    level_ = logic[0] & sampled_mask_;  // the level at the start is no edge
    have_level_ = true;
    i = 1;
  }
  uint8_t level = level_;
  for (; i < n; ++i) {
    const uint8_t now = logic[i] & sampled_mask_;
    if (now == level) continue;
    const uint8_t changed = now ^ level;
    const double position = static_cast<double>(block.first_index + i) - 0.5;
    for (int r = 0; r < kRoleCount; ++r) {
      const TriggerWiring& wiring = options_.triggers[r];
      if (wiring.source != EdgeSource::kSampled || !(changed >> wiring.line & 1)) continue;
      filters_[r].Offer(Edge{position, static_cast<Role>(r), (now >> wiring.line & 1) != 0},
                        confirmed_);
    }
    level = now;
  }
  level_ = level;
}

Status Measurement::AddHostEdge(Role role, bool rising, double position) {
  const int r = static_cast<int>(role);
  if (options_.triggers[r].source != EdgeSource::kHost) {
    return ConfigurationError(std::string("the ") + RoleName(role) +
                              " trigger is not wired to host GPIO");
  }
  filters_[r].Offer(Edge{position, role, rising}, confirmed_);
  return OkStatus();
}

void Measurement::AdvanceHostClock(double position) {
  host_clock_ = std::max(host_clock_, position);
  for (int r = 0; r < kRoleCount; ++r) {
    if (options_.triggers[r].source == EdgeSource::kHost)
      filters_[r].Advance(host_clock_, confirmed_);
  }
  if (!timeline_.empty()) Release(static_cast<double>(timeline_.last_index()));
}

void Measurement::Release(double safe) {
  for (const Edge& edge : confirmed_) merger_.Push(edge);
  confirmed_.clear();
  // Nothing may overtake an edge a filter still holds, nor anything a host
  // source may still deliver.
  for (int r = 0; r < kRoleCount; ++r) {
    if (filters_[r].holding()) safe = std::min(safe, filters_[r].held_position());
    if (options_.triggers[r].source == EdgeSource::kHost) safe = std::min(safe, host_clock_);
  }
  Edge edge;
  while (merger_.PopBefore(safe, edge)) builder_.OnEdge(edge);
}

void Measurement::Finish() {
  if (finished_) return;
  finished_ = true;
  for (GlitchFilter& filter : filters_) filter.Flush(confirmed_);
  for (const Edge& edge : confirmed_) merger_.Push(edge);
  confirmed_.clear();
  Edge edge;
  while (merger_.PopBefore(kInfinity, edge)) builder_.OnEdge(edge);
  builder_.Finish();
  CheckLayers();
}

void Measurement::CheckLayers() {
  std::map<size_t, size_t> how_many;  // layer count -> inference windows with it
  for (const Window& window : windows()) {
    if (window.kind == WindowKind::kInference && !window.layers.empty())
      ++how_many[window.layers.size()];
  }
  if (how_many.empty()) return;
  layers_expected_ = options_.expected_layers.value_or(0);
  const bool from_majority = !options_.expected_layers;
  if (from_majority) {
    layers_expected_ = std::max_element(how_many.begin(), how_many.end(), [](auto& a, auto& b) {
                         return a.second < b.second;
                       })->first;
  }
  for (Window& window : windows()) {
    if (window.kind != WindowKind::kInference || window.layers.empty()) continue;
    if (window.layers.size() != layers_expected_) {
      const std::string text = std::to_string(window.layers.size()) + " layer segments where " +
                               std::to_string(layers_expected_) +
                               (from_majority ? " were seen in most inferences" : " were expected");
      if (window.layers.size() > layers_expected_) {
        window.problems.push_back(text + " (an extra layer-pin edge)");
      } else {
        window.layer_problem = text +
                               " (a missing layer-pin edge: layers shorter than a sample "
                               "period merge; the inference's own figures stand)";
      }
    }
    if (window.layer_sum_error_pct > options_.layer_sum_tolerance_pct) {
      char text[160];
      std::snprintf(
          text, sizeof text,
          "the layer segments sum to %.4f %% off the inference's energy (tolerance %g %%)",
          window.layer_sum_error_pct, options_.layer_sum_tolerance_pct);
      window.problems.push_back(text);
    }
  }
}

MeasureCounts Measurement::counts() const {
  MeasureCounts counts;
  counts.samples = timeline_.samples();
  counts.lost_samples = std::max(lost_reported_, timeline_.lost_samples());
  for (int r = 0; r < kRoleCount; ++r) counts.glitches[r] = filters_[r].glitches();
  counts.windows = builder_.counts();
  return counts;
}

}  // namespace hil::measure
