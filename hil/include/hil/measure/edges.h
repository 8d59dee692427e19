// Trigger edges: where they come from, the glitch filter, and the merge of
// every source into one time-ordered stream.
//
// Edge positions are on the probe's timeline in sample periods (sample i at
// position i). A level change first seen in sample i is placed at i - 0.5,
// midway between the last sample at the old level and the first at the new
// one: the edge happened somewhere in that period, so an edge time carries
// +-0.5 sample of uncertainty, and a pulse of k samples measures exactly k.
#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

namespace hil::measure {

// What a trigger line means to the measurement.
enum class Role : uint8_t {
  kInference,  // high during each inference
  kLayer,      // toggles at each layer boundary inside an inference
  kTimestamp,  // MLPerf Tiny energy mode: a falling edge before and after N inferences
};
inline constexpr int kRoleCount = 3;
const char* RoleName(Role role);

// Where a role's edges come from.
enum class EdgeSource : uint8_t {
  kNone,     // not wired
  kSampled,  // a logic input the probe samples with each current sample (PPK2, JS110)
  kEvents,   // edges the probe reports as events (the LPM01A's D7 input)
  kHost,     // host GPIO with host timestamps, mapped onto the probe's clock
};
const char* EdgeSourceName(EdgeSource source);

struct Edge {
  double position = 0;
  Role role = Role::kInference;
  bool rising = false;
};

// Drops pulses shorter than a minimum width: an edge is held until the line
// has kept its new level for min_width, and an opposite edge before then
// cancels both. A pulse exactly min_width wide is kept. With min_width 0
// every edge passes at once.
class GlitchFilter {
 public:
  explicit GlitchFilter(double min_width = 0) : min_width_(min_width) {}

  // A raw edge, in time order for this line. Appends what it confirms.
  void Offer(const Edge& edge, std::vector<Edge>& confirmed);
  // Every edge before `horizon` has been offered: confirms a held edge that
  // has lasted long enough.
  void Advance(double horizon, std::vector<Edge>& confirmed);
  // The stream is over: a held edge is confirmed (the line stayed).
  void Flush(std::vector<Edge>& confirmed);

  // Position of the held edge, which nothing at or after may overtake.
  bool holding() const { return holding_; }
  double held_position() const { return held_.position; }
  uint64_t glitches() const { return glitches_; }

 private:
  double min_width_;
  bool holding_ = false;
  Edge held_;
  uint64_t glitches_ = 0;
};

// Confirmed edges of every role, released in time order once no source can
// still deliver an earlier one. At equal positions an inference rise comes
// first and an inference fall last, so a layer edge in the same sample as
// either still lands inside the window.
class EdgeMerger {
 public:
  void Push(const Edge& edge);
  // The next edge strictly before `safe`, if any.
  bool PopBefore(double safe, Edge& edge);
  bool empty() const { return queue_.empty(); }

 private:
  struct Entry {
    Edge edge;
    int rank;
    uint64_t sequence;
    bool operator>(const Entry& other) const;
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_;
  uint64_t sequence_ = 0;
};

}  // namespace hil::measure
