#include "probes/virtual/window_tracker.h"

#include <nlohmann/json.hpp>

namespace hil::virtual_bench {
namespace {

nlohmann::ordered_json SpanJson(const Span& span) {
  nlohmann::ordered_json json;
  json["instructions"] = span.instructions;
  json["duration_ns"] = span.duration_ns;
  json["energy_nJ"] = span.energy_nj;
  nlohmann::ordered_json classes = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kInstructionClassCount; ++i) {
    if (span.by_class[i] != 0) classes[std::string(kInstructionClassNames[i])] = span.by_class[i];
  }
  json["classes"] = classes;
  return json;
}

}  // namespace

uint64_t MeterReading::total_instructions() const {
  uint64_t total = 0;
  for (uint64_t count : instructions) total += count;
  return total;
}

Span Between(const MeterReading& from, const MeterReading& to, const EnergyProfile& profile) {
  Span span;
  double dynamic_pj = 0;
  for (size_t i = 0; i < kInstructionClassCount; ++i) {
    span.by_class[i] = to.instructions[i] - from.instructions[i];
    span.instructions += span.by_class[i];
    dynamic_pj += static_cast<double>(span.by_class[i]) * profile.class_pj[i];
  }
  span.duration_ns = span.instructions << profile.icount_shift;
  // mW x ns = pJ.
  const double static_pj = profile.static_mw * static_cast<double>(span.duration_ns);
  span.energy_nj = (dynamic_pj + static_pj) / 1000.0;
  return span;
}

WindowTracker::WindowTracker(EnergyProfile profile, Sink sink)
    : profile_(std::move(profile)), sink_(std::move(sink)) {}

void WindowTracker::OnPinStore(Pin pin, bool level, const MeterReading& now) {
  bool& current = levels_[static_cast<int>(pin)];
  if (current == level) return;
  current = level;
  ++edges_;
  switch (pin) {
    case Pin::kInference:
      if (level) {
        inference_start_ = now;
        layer_starts_.assign(1, now);
      } else if (inference_start_) {
        CloseInference(now);
      }
      break;
    case Pin::kLayer:
      if (inference_start_) layer_starts_.push_back(now);
      break;
    case Pin::kTimestamp:
      if (level) break;
      if (!timestamp_start_) {
        timestamp_start_ = now;
      } else {
        nlohmann::ordered_json record;
        record["kind"] = "timestamp";
        record["index"] = timestamp_index_++;
        record.update(SpanJson(Between(*timestamp_start_, now, profile_)));
        sink_(record.dump());
        timestamp_start_.reset();
      }
      break;
  }
}

void WindowTracker::CloseInference(const MeterReading& now) {
  nlohmann::ordered_json record;
  record["kind"] = "inference";
  record["index"] = inference_index_++;
  record.update(SpanJson(Between(*inference_start_, now, profile_)));
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (size_t i = 0; i < layer_starts_.size(); ++i) {
    const MeterReading& end = i + 1 < layer_starts_.size() ? layer_starts_[i + 1] : now;
    nlohmann::ordered_json layer;
    layer["index"] = i;
    layer.update(SpanJson(Between(layer_starts_[i], end, profile_)));
    layers.push_back(layer);
  }
  record["layers"] = layers;
  sink_(record.dump());
  inference_start_.reset();
  layer_starts_.clear();
}

}  // namespace hil::virtual_bench
