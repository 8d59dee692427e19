#include "probes/virtual/sample_synthesizer.h"

namespace hil::virtual_bench {

void SampleSynthesizer::Start(const Checkpoint& at) {
  started_ = true;
  next_start_ns_ = at.time_ns;
  checkpoints_.assign(1, at);
}

void SampleSynthesizer::Add(const Checkpoint& checkpoint) {
  if (!started_) return;
  if (!checkpoints_.empty() && checkpoint.time_ns < checkpoints_.back().time_ns) return;
  checkpoints_.push_back(checkpoint);
}

double SampleSynthesizer::EnergyAt(uint64_t t) const {
  // The last checkpoint at or before t, and the first after it.
  size_t after = 0;
  while (after < checkpoints_.size() && checkpoints_[after].time_ns <= t) ++after;
  const Checkpoint& a = checkpoints_[after - 1];
  if (after == checkpoints_.size() || a.time_ns == t) return a.energy_pj;
  const Checkpoint& b = checkpoints_[after];
  const double fraction =
      static_cast<double>(t - a.time_ns) / static_cast<double>(b.time_ns - a.time_ns);
  return a.energy_pj + (b.energy_pj - a.energy_pj) * fraction;
}

uint8_t SampleSynthesizer::LogicAt(uint64_t t) const {
  uint8_t logic = checkpoints_.front().logic;
  for (const Checkpoint& checkpoint : checkpoints_) {
    if (checkpoint.time_ns > t) break;
    logic = checkpoint.logic;
  }
  return logic;
}

void SampleSynthesizer::EdgesIn(uint64_t start, uint64_t end, SyntheticSample& sample) const {
  uint8_t level = LogicAt(start);
  for (const Checkpoint& checkpoint : checkpoints_) {
    if (checkpoint.time_ns <= start) continue;
    if (checkpoint.time_ns > end) break;
    sample.rose |= static_cast<uint8_t>(~level & checkpoint.logic);
    sample.fell |= static_cast<uint8_t>(level & ~checkpoint.logic);
    level = checkpoint.logic;
  }
}

void SampleSynthesizer::Drain(std::vector<SyntheticSample>& out) {
  if (!started_ || checkpoints_.empty()) return;
  while (next_start_ns_ + period_ns_ <= checkpoints_.back().time_ns) {
    const uint64_t start = next_start_ns_;
    const uint64_t end = start + period_ns_;
    SyntheticSample sample{end, EnergyAt(end) - EnergyAt(start), LogicAt(end), 0, 0};
    EdgesIn(start, end, sample);
    out.push_back(sample);
    next_start_ns_ = end;
    // Keep one checkpoint at or before the next sample's start.
    while (checkpoints_.size() > 1 && checkpoints_[1].time_ns <= next_start_ns_) {
      checkpoints_.pop_front();
    }
  }
}

}  // namespace hil::virtual_bench
