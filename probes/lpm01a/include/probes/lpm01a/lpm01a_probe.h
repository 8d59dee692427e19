// The LPM01A (PowerShield) host driver: ASCII command/ack with stale output
// drained before each command, supply voltage and sample rate, ASCII or
// binary streams decoded on the acquisition thread, D7 events as trigger
// edges, and a clean stop that waits for the end of the acquisition.
#pragma once

#include <memory>
#include <string>

#include "drivers/transport/byte_stream.h"
#include "hil/streaming_probe.h"
#include "probes/lpm01a/stream_decoder.h"

namespace hil::lpm01a {

struct Lpm01aOptions {
  std::string uri;  // serial:/dev/ttyACM0@3686400 for a real unit
  // ASCII carries D7 events and streams up to 5 kHz; binary streams up to
  // 100 kHz without events.
  StreamFormat format = StreamFormat::kAscii;
  double rate_hz = 5000;
  uint32_t supply_mv = 3300;  // 1800..3300
  std::string record_path;
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds stall_timeout{5000};
  size_t queue_blocks = 4096;  // one block a second: over an hour
};

class Lpm01aProbe final : public StreamingProbe {
 public:
  explicit Lpm01aProbe(Lpm01aOptions options);
  ~Lpm01aProbe() override;

  Status Open() override;
  Status SetDutPower(bool on) override;
  const ProbeInfo& info() const override { return info_; }

  // Sends one command and waits for its "ack". Returns what follows
  // "ack <command>" (e.g. "3300m" for "volt get"). Errors: configuration
  // (the device answered "error": the detail line is in the message),
  // infrastructure (no answer).
  Result<std::string> Command(const std::string& command);

 private:
  Status BeginStream() override;
  Status Acquire() override;
  Status RequestEnd() override;
  // The next line from the device, or "" on timeout.
  Result<std::optional<std::string>> ReadLine(std::chrono::steady_clock::time_point deadline);

  Lpm01aOptions options_;
  ProbeInfo info_;
  std::unique_ptr<transport::ByteStream> stream_;
  std::vector<uint8_t> line_buffer_;  // bytes read but not yet taken as lines
  std::unique_ptr<StreamDecoder> decoder_;
};

// "5000" -> "5k", "100000" -> "100k", "500" -> "500": the form freq takes.
std::string FrequencyArgument(double hz);

}  // namespace hil::lpm01a
