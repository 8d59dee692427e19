// The JS110 host driver over libusb: finds the device by VID:PID (and serial
// number), reads its calibration, writes settings by control transfer, and
// streams on bulk IN 0x82 with several transfers in flight, decoded on the
// acquisition thread.
#pragma once

#include <memory>
#include <string>

#include "hil/streaming_probe.h"
#include "probes/js110/codec.h"

struct libusb_context;
struct libusb_device_handle;
struct libusb_transfer;

namespace hil::js110 {

struct Js110Options {
  std::string uri = "usb";  // "usb" (the only JS110) or "usb:SERIAL"
  uint8_t voltage_range = 0;
  size_t transfers_in_flight = 8;
  size_t frames_per_transfer = 64;
  std::chrono::milliseconds control_timeout{1000};
  std::chrono::milliseconds stall_timeout{5000};
  size_t queue_blocks = 4096;
};

class Js110Probe final : public StreamingProbe {
 public:
  explicit Js110Probe(Js110Options options);
  ~Js110Probe() override;

  Status Open() override;
  // The JS110 switches the DUT's current path: off disconnects the DUT.
  Status SetDutPower(bool on) override;
  const ProbeInfo& info() const override { return info_; }
  const Calibration& calibration() const { return calibration_; }

 private:
  Status BeginStream() override;
  Status Acquire() override;
  Status RequestEnd() override;
  Status WriteSettings(const Settings& settings);
  static void OnTransfer(libusb_transfer* transfer);

  Js110Options options_;
  ProbeInfo info_;
  libusb_context* context_ = nullptr;
  libusb_device_handle* handle_ = nullptr;
  Calibration calibration_;
  Settings settings_;
  std::unique_ptr<StreamDecoder> decoder_;
  // Acquisition thread only.
  std::vector<libusb_transfer*> transfers_;
  std::vector<std::vector<uint8_t>> buffers_;
  size_t in_flight_ = 0;
  bool resubmit_ = true;
  std::vector<SampleBlock> decoded_;
  std::string transfer_error_;
  std::chrono::steady_clock::time_point last_data_;
};

}  // namespace hil::js110
