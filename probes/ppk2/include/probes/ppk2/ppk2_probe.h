// The PPK2 host driver: the vendor's open sequence over any ByteStream
// (serial:/dev/ttyACM0 for a real unit, unix: for the virtual one, replay:
// for a recording), then a 100 kHz stream decoded on the acquisition thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "drivers/transport/byte_stream.h"
#include "hil/streaming_probe.h"
#include "probes/ppk2/codec.h"
#include "probes/ppk2/stream_decoder.h"

namespace hil::ppk2 {

struct Ppk2Options {
  std::string uri;
  // Source meter: the PPK2 supplies the DUT at supply_mv. Ampere meter: the
  // DUT has its own supply, supply_mv says what it is (for energy), and
  // the metadata's VDD is used when it is not given.
  PowerMode mode = PowerMode::kAmpereMeter;
  std::optional<uint32_t> supply_mv;
  bool spike_filter = false;
  bool dut_power_on = true;  // DeviceRunningSet(1) when opening
  std::string record_path;   // raw bytes read are also written here
  std::chrono::milliseconds metadata_timeout{1000};
  int metadata_attempts = 3;
  // No bytes for this long while streaming means the device stopped.
  std::chrono::milliseconds stall_timeout{5000};
  size_t queue_blocks = 1024;  // 8192-sample blocks: about 80 s at 100 kHz
};

class Ppk2Probe final : public StreamingProbe {
 public:
  explicit Ppk2Probe(Ppk2Options options);
  ~Ppk2Probe() override;

  Status Open() override;
  Status SetDutPower(bool on) override;
  const ProbeInfo& info() const override { return info_; }

  const Metadata& metadata() const { return metadata_; }
  double supply_v() const { return supply_v_; }

 private:
  Status BeginStream() override;
  Status Acquire() override;
  Status RequestEnd() override;
  Status Send(const std::vector<uint8_t>& bytes);
  Result<Metadata> ReadMetadata();

  Ppk2Options options_;
  ProbeInfo info_;
  std::unique_ptr<transport::ByteStream> stream_;
  Metadata metadata_;
  double supply_v_ = 0;
  std::unique_ptr<StreamDecoder> decoder_;
  // Bytes that came after the metadata text in the same read: the start of
  // the stream when a recording is replayed.
  std::vector<uint8_t> after_metadata_;
};

}  // namespace hil::ppk2
