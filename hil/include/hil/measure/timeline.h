// The energy timeline of one capture: cumulative energy and cumulative loss
// as functions of time on the probe's own clock, kept for a bounded stretch
// of recent history.
//
// Positions are in sample periods: sample i sits at position i. Between two
// consecutive samples power is taken as linear, so the energy between any
// two positions (fractional ones too) is the exact integral of that
// piecewise-linear power: the trapezoidal rule, with sub-sample ends. A
// window's energy is then the difference of two readings, whatever its
// length, so nothing but the recent samples has to be kept.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "hil/error.h"
#include "hil/power_probe.h"

namespace hil::measure {

struct Reading {
  enum class State {
    kKnown,   // inside the samples, or between two consecutive ones
    kInGap,   // between the two samples around a loss: see lost_*
    kTooOld,  // before the kept history (or before the first sample)
    kNotYet,  // after the last sample appended
  };
  State state = State::kNotYet;
  // Cumulative energy in watt x sample periods (joules = this / rate). In a
  // gap, the energy up to the sample before it.
  double energy = 0;
  // Lost samples before this position, and the same plus the loss of the
  // span the position lies in (a gap, or a block whose loss has no known
  // place). A window [a, b] lost b.lost_through - a.lost_before samples, so a
  // window that starts or ends in lost time is never loss-free.
  uint64_t lost_before = 0;
  uint64_t lost_through = 0;
};

class EnergyTimeline {
 public:
  // supply_v, when set, is the voltage of every sample (a probe that
  // measures only current, or a supply known better than the probe reads
  // it); otherwise each block's own voltage is used.
  EnergyTimeline(std::optional<double> supply_v, uint64_t history_samples);

  // Blocks must come in stream order. A block whose first index is past the
  // last sample + 1 opens a gap of the difference (the count the block gives
  // in lost_before is its own account of the same).
  Status Append(const SampleBlock& block);

  Reading At(double position) const;

  bool empty() const { return !have_last_; }
  // Position of the last sample appended (meaningless while empty()).
  uint64_t last_index() const { return last_index_; }
  uint64_t first_index() const { return first_index_; }
  uint64_t samples() const { return samples_; }
  uint64_t lost_samples() const { return lost_; }
  // The voltage of the last block with a usable one (0 when none).
  double last_voltage_v() const { return last_voltage_v_; }
  // Whether samples have left the history (else nothing is older than it).
  bool forgot_any() const { return forgot_any_; }

 private:
  struct Stored {
    uint64_t first = 0;
    uint64_t lost_inside = 0;
    bool joined = false;        // the trapezoid from the previous sample is counted
    double energy_first = 0;    // cumulative energy at the first sample
    double energy_last = 0;     // ... and at the last
    uint64_t lost_before = 0;   // cumulative loss before the first sample
    std::vector<double> power;  // watts per sample
    uint64_t last() const { return first + power.size() - 1; }
  };

  Reading InBlock(const Stored& block, double position) const;
  void Forget();

  std::optional<double> supply_v_;
  uint64_t history_samples_;
  std::deque<Stored> kept_;
  std::vector<std::vector<double>> spare_;  // recycled power buffers
  bool have_last_ = false;
  uint64_t first_index_ = 0;
  uint64_t last_index_ = 0;
  double last_power_ = 0;
  double energy_ = 0;           // cumulative at the last sample
  uint64_t lost_ = 0;           // cumulative through the last block
  uint64_t next_expected_ = 0;  // index the next block starts at when nothing is lost
  uint64_t samples_ = 0;
  double last_voltage_v_ = 0;
  bool forgot_any_ = false;
};

}  // namespace hil::measure
