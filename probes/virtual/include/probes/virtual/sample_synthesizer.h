// Turns exact checkpoints of the energy model into a fixed-rate sample
// stream, as a power monitor would see it. Pure: no threads, no I/O.
//
// A checkpoint is the cumulative modelled energy at an exact virtual time,
// with the trigger pin levels from that time on. Pin edges are checkpoints,
// so energy never leaks across an edge; between checkpoints energy is
// spread evenly over time. A sample covers [start, start + period) and
// carries the energy in it and the pin levels at its end, which is when a
// real probe latches its logic inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace hil::virtual_bench {

struct Checkpoint {
  uint64_t time_ns = 0;
  double energy_pj = 0;  // cumulative since QEMU started
  uint8_t logic = 0;     // bit n = trigger pin n
};

struct SyntheticSample {
  uint64_t end_ns = 0;
  double energy_pj = 0;
  uint8_t logic = 0;  // pin levels at the sample's end
  // Pins that rose or fell at any time inside the sample, so a pulse shorter
  // than a sample is still reported (as an LPM01A's event input does).
  uint8_t rose = 0;
  uint8_t fell = 0;
};

class SampleSynthesizer {
 public:
  explicit SampleSynthesizer(uint64_t period_ns = 10'000) : period_ns_(period_ns) {}

  // Starts a stream whose first sample begins at this checkpoint.
  void Start(const Checkpoint& at);
  bool started() const { return started_; }

  // Adds a checkpoint; times must not decrease.
  void Add(const Checkpoint& checkpoint);

  // Appends every sample that ends at or before the latest checkpoint.
  void Drain(std::vector<SyntheticSample>& out);

  // End of the last sample drained (the stream's position in virtual time).
  uint64_t position_ns() const { return next_start_ns_; }
  uint64_t period_ns() const { return period_ns_; }

 private:
  // Cumulative energy at time t, interpolated between the checkpoints
  // around it. Needs checkpoints_.front().time_ns <= t <= back().time_ns.
  double EnergyAt(uint64_t t) const;
  uint8_t LogicAt(uint64_t t) const;
  // Edges of checkpoints in (start, end], given the levels at start.
  void EdgesIn(uint64_t start, uint64_t end, SyntheticSample& sample) const;

  uint64_t period_ns_;
  bool started_ = false;
  uint64_t next_start_ns_ = 0;
  std::deque<Checkpoint> checkpoints_;
};

}  // namespace hil::virtual_bench
