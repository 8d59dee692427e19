// What makes a virtual power monitor one device rather than another: its
// commands and replies, its sample rate and its sample encoding. The
// VirtualProbe server does the rest (socket, streaming, backpressure,
// faults).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "probes/virtual/sample_synthesizer.h"

namespace hil::virtual_bench {

class ProbePersonality {
 public:
  virtual ~ProbePersonality() = default;

  struct Actions {
    bool start = false;  // begin streaming after the reply
    bool stop = false;   // end streaming before the reply
  };

  // Consumes the complete commands at the front of input (a partial one
  // stays), appending replies to reply.
  virtual Actions OnInput(std::vector<uint8_t>& input, std::vector<uint8_t>& reply) = 0;

  // The sample period the host configured, read when streaming starts.
  virtual uint64_t sample_period_ns() const = 0;

  // Called when streaming starts, before any sample.
  virtual void OnStart() {}

  // The current the device would report for a sample, before encoding: the
  // model's truth at the probe, for tests of a host decoder.
  virtual double ModelledAmps(const SyntheticSample& sample) const = 0;

  // Appends the wire bytes of one sample. index counts samples since the
  // start, including ones a fault knob drops.
  virtual void EncodeSample(const SyntheticSample& sample, uint64_t index,
                            std::vector<uint8_t>& out) = 0;

  // Appends what the device says when a stream ends.
  virtual void OnStop(std::vector<uint8_t>& out) { (void)out; }
};

// The two devices the virtual bench emulates; supply_v is the DUT supply
// until the host sets one.
std::unique_ptr<ProbePersonality> MakePpk2Personality(double supply_v);
std::unique_ptr<ProbePersonality> MakeLpm01aPersonality(double supply_v);

}  // namespace hil::virtual_bench
