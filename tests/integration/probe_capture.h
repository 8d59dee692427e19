// Helpers for the probe-driver tests: take every block a PowerProbe
// delivers, laid out on the probe's own sample timeline.
#pragma once

#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "hil/power_probe.h"

namespace hil::testing {

struct Capture {
  // Indexed by sample index; NaN where a sample was lost.
  std::vector<double> amps;
  std::vector<uint8_t> logic;
  std::vector<LogicEvent> events;
  uint64_t received = 0;
  uint64_t lost_before = 0, lost_inside = 0;
  std::optional<Error> error;  // how the stream ended, if it failed
};

// Drains the probe until the stream ends (or fails, or wall_limit passes).
inline Capture Drain(PowerProbe& probe, std::chrono::milliseconds wall_limit) {
  Capture capture;
  const auto deadline = std::chrono::steady_clock::now() + wall_limit;
  while (std::chrono::steady_clock::now() < deadline) {
    SampleBlock block;
    Result<PowerProbe::Poll> poll = probe.Next(block, std::chrono::milliseconds(100));
    if (!poll.ok()) {
      capture.error = poll.error();
      break;
    }
    if (*poll == PowerProbe::Poll::kEnd) break;
    if (*poll == PowerProbe::Poll::kTimeout) continue;
    const size_t end = block.first_index + block.size();
    if (capture.amps.size() < end) {
      capture.amps.resize(end, std::nan(""));
      capture.logic.resize(end, 0);
    }
    for (size_t i = 0; i < block.size(); ++i) {
      capture.amps[block.first_index + i] = block.current_a[i];
      if (!block.logic.empty()) capture.logic[block.first_index + i] = block.logic[i];
    }
    capture.events.insert(capture.events.end(), block.events.begin(), block.events.end());
    capture.received += block.size();
    capture.lost_before += block.lost_before;
    capture.lost_inside += block.lost_inside;
  }
  return capture;
}

// The virtual probe's per-sample truth file: float64 amperes in sample order.
inline std::vector<double> ReadModelledAmps(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<double> amps;
  double value;
  while (file.read(reinterpret_cast<char*>(&value), sizeof(value))) amps.push_back(value);
  return amps;
}

// Rising edges of one logic bit.
inline size_t RisingEdges(const std::vector<uint8_t>& logic, int bit) {
  size_t edges = 0;
  for (size_t i = 1; i < logic.size(); ++i) {
    if ((logic[i] >> bit & 1) && !(logic[i - 1] >> bit & 1)) ++edges;
  }
  return edges;
}

}  // namespace hil::testing
