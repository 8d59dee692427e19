// Ground truth of the virtual bench: exact instructions, time and energy of
// every measurement window, from the trigger pin stores the plugin sees.
// Pure: the plugin feeds it readings; tests feed it synthetic ones.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "probes/virtual/energy_profile.h"
#include "probes/virtual/instruction_class.h"

namespace hil::virtual_bench {

// Cumulative instruction counters since QEMU started.
struct MeterReading {
  std::array<uint64_t, kInstructionClassCount> instructions{};

  uint64_t total_instructions() const;
};

// What happened between two readings.
struct Span {
  uint64_t instructions = 0;
  uint64_t duration_ns = 0;
  double energy_nj = 0;
  std::array<uint64_t, kInstructionClassCount> by_class{};
};

// Energy between two readings: dynamic energy of every instruction by
// class plus static power over the time, which under -icount is exactly
// 2^shift ns per instruction. A span never contains WFI sleep: the harness
// sleeps only before a measured run (see the plugin's summary for sleep).
Span Between(const MeterReading& from, const MeterReading& to, const EnergyProfile& profile);

// The trigger pins, as the harness numbers them (firmware/PROTOCOL.md).
enum class Pin { kInference = 0, kLayer = 1, kTimestamp = 2 };
inline constexpr int kPinCount = 3;

// Turns pin stores into window records, one JSON object per line:
//   {"kind":"inference","index":I, <span>, "layers":[{"index":L, <span>}...]}
//   {"kind":"timestamp","index":K, <span>}
// where <span> is "instructions", "duration_ns", "energy_nJ", "classes".
// Inference windows run from the inference pin's rise to its fall, cut into
// layers at every layer pin edge in between. Timestamp windows run between
// consecutive falling edges of the timestamp pin, paired in order (MLPerf
// Tiny energy mode). Records carry no absolute times, so the same firmware
// and inputs give byte-identical records however fast the host talked to
// the DUT between windows.
class WindowTracker {
 public:
  using Sink = std::function<void(const std::string& line)>;

  WindowTracker(EnergyProfile profile, Sink sink);

  // A store to a pin's set (level true) or clear (level false) address. A
  // store that does not change the level is no edge.
  void OnPinStore(Pin pin, bool level, const MeterReading& now);

  uint64_t edges() const { return edges_; }
  uint64_t inference_windows() const { return inference_index_; }
  uint64_t timestamp_windows() const { return timestamp_index_; }
  bool pin_level(Pin pin) const { return levels_[static_cast<int>(pin)]; }

 private:
  void CloseInference(const MeterReading& now);

  EnergyProfile profile_;
  Sink sink_;
  std::array<bool, kPinCount> levels_{};
  uint64_t edges_ = 0;

  std::optional<MeterReading> inference_start_;
  std::vector<MeterReading> layer_starts_;
  uint64_t inference_index_ = 0;

  std::optional<MeterReading> timestamp_start_;
  uint64_t timestamp_index_ = 0;
};

}  // namespace hil::virtual_bench
