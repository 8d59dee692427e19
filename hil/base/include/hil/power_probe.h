// PowerProbe: the role every power monitor plays for the measurement engine.
// A probe streams blocks of samples. Each sample has a time (its index at the
// probe's fixed rate), a current, a voltage and the logic inputs sampled with
// it. Blocks say how many samples were lost, and where, so that a figure
// over a gap can be refused rather than reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil {

// An edge the probe reported as an event rather than as sampled logic bits
// (the LPM01A's D7 "event N ris|fal" lines).
struct LogicEvent {
  uint64_t sample_index = 0;  // the sample the edge precedes
  uint8_t line = 0;           // logic input number, 0..7
  bool rising = false;
};

// A run of consecutive samples.
struct SampleBlock {
  // Index of the first sample since the stream started, on the probe's own
  // clock: lost samples advance it, so time = index / sample_rate_hz.
  uint64_t first_index = 0;
  // Samples known to be lost just before the first one (an exact gap, as a
  // PPK2 counter or a JS110 packet index shows).
  uint64_t lost_before = 0;
  // Samples lost at unknown places within this block's span (a device that
  // only reports counts once a second). The block then spans
  // size() + lost_inside sample periods and its sample times are uncertain:
  // no window overlapping it may be trusted.
  uint64_t lost_inside = 0;

  std::vector<double> current_a;
  // One voltage per sample, or empty when every sample is at `voltage_v`.
  std::vector<float> voltage_samples_v;
  double voltage_v = 0;
  // Logic inputs per sample, bit n = input n; empty when the probe has none.
  std::vector<uint8_t> logic;
  std::vector<LogicEvent> events;

  size_t size() const { return current_a.size(); }
  bool empty() const { return current_a.empty() && lost_before == 0 && lost_inside == 0; }
  // The index just past this block's span.
  uint64_t end_index() const { return first_index + size() + lost_inside; }
  double VoltageAt(size_t i) const {
    return voltage_samples_v.empty() ? voltage_v : voltage_samples_v[i];
  }
};

struct ProbeInfo {
  std::string kind;    // its name in the probe table (probes/probe_table.h)
  std::string model;   // as the device names itself, when it does
  std::string serial;  // when known
  std::string uri;     // where it was opened
  double sample_rate_hz = 0;
  double supply_v = 0;  // the DUT supply the probe sets or was told
};

// Counts that make a capture's quality visible. Never silently zero.
struct ProbeStats {
  uint64_t samples = 0;           // delivered to the decoder's output
  uint64_t lost_samples = 0;      // the device's own loss (gaps, missing words)
  uint64_t overflow_samples = 0;  // dropped because the consumer fell behind
  uint64_t garbage_bytes = 0;     // bytes skipped to resynchronise
  uint64_t bytes = 0;             // raw bytes read
  uint64_t events = 0;            // logic events
};

class PowerProbe {
 public:
  virtual ~PowerProbe() = default;
  PowerProbe() = default;
  PowerProbe(const PowerProbe&) = delete;
  PowerProbe& operator=(const PowerProbe&) = delete;

  // Connects and configures the device (everything before streaming).
  // Errors: configuration (a setting the device refuses), infrastructure.
  virtual Status Open() = 0;
  // Starts streaming on the probe's acquisition thread.
  virtual Status Start() = 0;

  enum class Poll { kBlock, kTimeout, kEnd };
  // Takes the next block. kEnd once the stream is over and every block was
  // taken. When acquisition failed (device gone, socket closed), every block
  // decoded before the failure comes first, then the error.
  virtual Result<Poll> Next(SampleBlock& block, std::chrono::milliseconds timeout) = 0;

  // Ends streaming and waits for the acquisition thread; blocks already
  // decoded stay available to Next. Safe to call twice.
  virtual Status Stop() = 0;

  // DUT power switch, where the probe has one. Errors: configuration when it
  // has none.
  virtual Status SetDutPower(bool on) = 0;

  virtual const ProbeInfo& info() const = 0;
  virtual ProbeStats stats() const = 0;
};

}  // namespace hil
