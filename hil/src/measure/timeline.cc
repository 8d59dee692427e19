#include "hil/measure/timeline.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace hil::measure {
namespace {

// Sum with four accumulators: the additions pipeline, and the result is as
// accurate as a plain left-to-right sum or better.
double Sum(const std::vector<double>& values) {
  double a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= values.size(); i += 4) {
    a += values[i], b += values[i + 1], c += values[i + 2], d += values[i + 3];
  }
  for (; i < values.size(); ++i) a += values[i];
  return (a + b) + (c + d);
}

// Energy of the linear power from p0 (at 0) towards p1 (at 1), over [0, f].
double PartialInterval(double p0, double p1, double f) { return f * p0 + 0.5 * f * f * (p1 - p0); }

}  // namespace

EnergyTimeline::EnergyTimeline(std::optional<double> supply_v, uint64_t history_samples)
    : supply_v_(supply_v), history_samples_(history_samples) {}

Status EnergyTimeline::Append(const SampleBlock& block) {
  if (block.size() == 0) return OkStatus();  // a loss-only block: the next one's index tells
  if (have_last_ && block.first_index < next_expected_) {
    return InfrastructureError("the probe delivered sample " + std::to_string(block.first_index) +
                               " after sample " + std::to_string(last_index_) +
                               ": blocks out of order");
  }
  const bool per_sample_voltage = !supply_v_ && !block.voltage_samples_v.empty();
  const double voltage = supply_v_ ? *supply_v_ : block.voltage_v;
  if (!per_sample_voltage && !(voltage > 0)) {
    return ConfigurationError(
        "the probe reports no voltage: set the DUT supply voltage for the measurement");
  }
  last_voltage_v_ = per_sample_voltage ? block.voltage_samples_v.back() : voltage;

  Stored stored;
  if (!spare_.empty()) {
    stored.power = std::move(spare_.back());
    spare_.pop_back();
  }
  stored.power.resize(block.size());
  if (per_sample_voltage) {
    for (size_t i = 0; i < block.size(); ++i) {
      stored.power[i] = block.current_a[i] * block.voltage_samples_v[i];
    }
  } else {
    for (size_t i = 0; i < block.size(); ++i) stored.power[i] = block.current_a[i] * voltage;
  }

  stored.first = block.first_index;
  stored.lost_inside = block.lost_inside;
  if (!have_last_) {
    first_index_ = block.first_index;
    stored.joined = false;
    stored.energy_first = 0;
    lost_ = 0;
  } else {
    lost_ += block.first_index - next_expected_;  // an exact gap, if any
    stored.joined = block.first_index == last_index_ + 1;
    stored.energy_first =
        energy_ + (stored.joined ? 0.5 * (last_power_ + stored.power.front()) : 0.0);
  }
  stored.lost_before = lost_;
  // Trapezoids inside the block: every sample counts fully but the two ends.
  const double inside = Sum(stored.power) - 0.5 * (stored.power.front() + stored.power.back());
  stored.energy_last = stored.energy_first + inside;

  energy_ = stored.energy_last;
  lost_ += block.lost_inside;
  last_index_ = stored.last();
  last_power_ = stored.power.back();
  next_expected_ = block.end_index();
  samples_ += block.size();
  have_last_ = true;
  kept_.push_back(std::move(stored));
  Forget();
  return OkStatus();
}

void EnergyTimeline::Forget() {
  while (kept_.size() > 1 && kept_.front().last() + history_samples_ < last_index_) {
    spare_.push_back(std::move(kept_.front().power));
    kept_.pop_front();
    forgot_any_ = true;
  }
  if (spare_.size() > 4) spare_.resize(4);
}

Reading EnergyTimeline::InBlock(const Stored& block, double position) const {
  Reading reading;
  reading.state = Reading::State::kKnown;
  reading.lost_before = block.lost_before;
  reading.lost_through = block.lost_before + block.lost_inside;
  const double offset = position - static_cast<double>(block.first);
  const size_t j = static_cast<size_t>(std::floor(offset));
  const double f = offset - static_cast<double>(j);
  const std::vector<double>& p = block.power;
  // The energy at sample j, summed from whichever end of the block is nearer.
  double at_j;
  if (j < p.size() / 2) {
    double sum = 0;
    for (size_t m = 0; m < j; ++m) sum += p[m] + p[m + 1];
    at_j = block.energy_first + 0.5 * sum;
  } else {
    double sum = 0;
    for (size_t m = j; m + 1 < p.size(); ++m) sum += p[m] + p[m + 1];
    at_j = block.energy_last - 0.5 * sum;
  }
  reading.energy = f > 0 ? at_j + PartialInterval(p[j], p[j + 1], f) : at_j;
  return reading;
}

Reading EnergyTimeline::At(double position) const {
  Reading reading;
  if (!have_last_ || !(position <= static_cast<double>(last_index_))) return reading;  // kNotYet
  if (position < static_cast<double>(kept_.front().first)) {
    reading.state = Reading::State::kTooOld;
    return reading;
  }
  // The last kept block that starts at or before the position.
  auto after = std::upper_bound(
      kept_.begin(), kept_.end(), position,
      [](double pos, const Stored& block) { return pos < static_cast<double>(block.first); });
  const Stored& block = *(after - 1);
  if (position <= static_cast<double>(block.last())) return InBlock(block, position);
  // Between this block's last sample and the next block's first.
  const Stored& next = *after;
  if (next.joined) {
    reading.state = Reading::State::kKnown;
    reading.lost_before = reading.lost_through = next.lost_before;
    const double f = position - static_cast<double>(block.last());
    reading.energy = block.energy_last + PartialInterval(block.power.back(), next.power.front(), f);
    return reading;
  }
  reading.state = Reading::State::kInGap;
  reading.energy = block.energy_last;
  reading.lost_before = block.lost_before;
  reading.lost_through = next.lost_before;
  return reading;
}

}  // namespace hil::measure
