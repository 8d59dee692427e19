#include "hil/measure/edges.h"

#include <tuple>

namespace hil::measure {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kInference:
      return "inference";
    case Role::kLayer:
      return "layer";
    case Role::kTimestamp:
      return "timestamp";
  }
  return "?";
}

const char* EdgeSourceName(EdgeSource source) {
  switch (source) {
    case EdgeSource::kNone:
      return "none";
    case EdgeSource::kSampled:
      return "sampled";
    case EdgeSource::kEvents:
      return "events";
    case EdgeSource::kHost:
      return "host";
  }
  return "?";
}

void GlitchFilter::Offer(const Edge& edge, std::vector<Edge>& confirmed) {
  if (min_width_ <= 0) {
    confirmed.push_back(edge);
    return;
  }
  if (holding_) {
    if (edge.rising != held_.rising && edge.position - held_.position < min_width_) {
      holding_ = false;  // a pulse too short to be real: neither edge happened
      ++glitches_;
      return;
    }
    confirmed.push_back(held_);
  }
  held_ = edge;
  holding_ = true;
}

void GlitchFilter::Advance(double horizon, std::vector<Edge>& confirmed) {
  if (holding_ && horizon >= held_.position + min_width_) {
    confirmed.push_back(held_);
    holding_ = false;
  }
}

void GlitchFilter::Flush(std::vector<Edge>& confirmed) {
  if (holding_) confirmed.push_back(held_);
  holding_ = false;
}

bool EdgeMerger::Entry::operator>(const Entry& other) const {
  return std::tie(edge.position, rank, sequence) >
         std::tie(other.edge.position, other.rank, other.sequence);
}

void EdgeMerger::Push(const Edge& edge) {
  int rank = 1;
  if (edge.role == Role::kInference) rank = edge.rising ? 0 : 2;
  queue_.push(Entry{edge, rank, sequence_++});
}

bool EdgeMerger::PopBefore(double safe, Edge& edge) {
  if (queue_.empty() || !(queue_.top().edge.position < safe)) return false;
  edge = queue_.top().edge;
  queue_.pop();
  return true;
}

}  // namespace hil::measure
