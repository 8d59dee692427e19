#include "probes/js110/js110_probe.h"

#include <libusb-1.0/libusb.h>

namespace hil::js110 {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kQuietAfterStop{200};
constexpr milliseconds kStopLimit{3000};
// bmRequestType: vendor request to the device, host to device or back.
constexpr uint8_t kVendorOut = 0x40;
constexpr uint8_t kVendorIn = 0xC0;

std::string UsbError(int code) { return libusb_error_name(code); }

}  // namespace

Js110Probe::Js110Probe(Js110Options options)
    : StreamingProbe(options.queue_blocks), options_(std::move(options)) {
  info_.kind = "js110";
  info_.model = "Joulescope JS110";
  info_.uri = options_.uri;
  info_.sample_rate_hz = kSampleRateHz;
}

Js110Probe::~Js110Probe() {
  (void)Stop();
  if (handle_ != nullptr) {
    libusb_release_interface(handle_, 0);
    libusb_close(handle_);
  }
  if (context_ != nullptr) libusb_exit(context_);
}

Status Js110Probe::Open() {
  std::string wanted_serial;
  if (options_.uri.rfind("usb:", 0) == 0) {
    wanted_serial = options_.uri.substr(4);
  } else if (options_.uri != "usb") {
    return ConfigurationError("a JS110 is reached as 'usb' or 'usb:SERIAL', not '" + options_.uri +
                              "'");
  }
  if (const int error = libusb_init(&context_); error != 0) {
    return InfrastructureError("libusb cannot start: " + UsbError(error));
  }
  libusb_device** devices = nullptr;
  const ssize_t count = libusb_get_device_list(context_, &devices);
  std::vector<std::string> seen;
  for (ssize_t i = 0; i < count && handle_ == nullptr; ++i) {
    libusb_device_descriptor descriptor{};
    if (libusb_get_device_descriptor(devices[i], &descriptor) != 0 ||
        descriptor.idVendor != kVendorId || descriptor.idProduct != kProductId) {
      continue;
    }
    libusb_device_handle* handle = nullptr;
    if (const int error = libusb_open(devices[i], &handle); error != 0) {
      seen.push_back("one that cannot be opened (" + UsbError(error) + "; permissions?)");
      continue;
    }
    unsigned char serial[64] = {};
    const int n = descriptor.iSerialNumber == 0
                      ? 0
                      : libusb_get_string_descriptor_ascii(handle, descriptor.iSerialNumber, serial,
                                                           sizeof(serial));
    const std::string serial_text = n > 0 ? std::string(reinterpret_cast<char*>(serial), n) : "";
    if (!wanted_serial.empty() && serial_text != wanted_serial) {
      seen.push_back(serial_text.empty() ? "one without a serial number" : serial_text);
      libusb_close(handle);
      continue;
    }
    handle_ = handle;
    info_.serial = serial_text;
  }
  if (count >= 0) libusb_free_device_list(devices, 1);
  if (handle_ == nullptr) {
    std::string found;
    for (const std::string& other : seen) found += (found.empty() ? "" : ", ") + other;
    return InfrastructureError("no JS110 (16d0:0e88)" +
                               (wanted_serial.empty() ? "" : " with serial " + wanted_serial) +
                               " is attached" + (found.empty() ? "" : "; found " + found));
  }
  if (const int error = libusb_claim_interface(handle_, 0); error != 0) {
    return InfrastructureError("JS110 " + info_.serial + ": cannot claim its interface (" +
                               UsbError(error) + "); is another program using it?");
  }
  std::vector<uint8_t> record(kCalibrationBytes);
  const int n =
      libusb_control_transfer(handle_, kVendorIn, static_cast<uint8_t>(Request::kCalibration), 0, 0,
                              record.data(), static_cast<uint16_t>(record.size()),
                              static_cast<unsigned>(options_.control_timeout.count()));
  if (n < 0) {
    return InfrastructureError("JS110 " + info_.serial + ": reading calibration failed (" +
                               UsbError(n) + ")");
  }
  record.resize(static_cast<size_t>(n));
  Result<Calibration> calibration = ParseCalibration(record);
  if (!calibration.ok()) return calibration.error();
  calibration_ = *calibration;
  settings_.voltage_range = options_.voltage_range;
  settings_.streaming = false;
  return WriteSettings(settings_);
}

Status Js110Probe::WriteSettings(const Settings& settings) {
  std::vector<uint8_t> packet = EncodeSettings(settings);
  const int n =
      libusb_control_transfer(handle_, kVendorOut, static_cast<uint8_t>(Request::kSettings), 0, 0,
                              packet.data(), static_cast<uint16_t>(packet.size()),
                              static_cast<unsigned>(options_.control_timeout.count()));
  if (n < 0) {
    return InfrastructureError("JS110 " + info_.serial + ": writing settings failed (" +
                               UsbError(n) + ")");
  }
  return OkStatus();
}

Status Js110Probe::SetDutPower(bool on) {
  if (handle_ == nullptr) return ConfigurationError("JS110 is not open");
  settings_.current_range = on ? 0x80 : 0;
  settings_.sensor_power = true;
  return WriteSettings(settings_);
}

Status Js110Probe::BeginStream() {
  if (handle_ == nullptr) return ConfigurationError("JS110 is not open");
  decoder_ = std::make_unique<StreamDecoder>(calibration_, options_.voltage_range);
  settings_.streaming = true;
  return WriteSettings(settings_);
}

Status Js110Probe::RequestEnd() {
  settings_.streaming = false;
  return WriteSettings(settings_);
}

void Js110Probe::OnTransfer(libusb_transfer* transfer) {
  auto* self = static_cast<Js110Probe*>(transfer->user_data);
  if (transfer->status == LIBUSB_TRANSFER_COMPLETED && transfer->actual_length > 0) {
    self->CountBytes(static_cast<uint64_t>(transfer->actual_length));
    self->decoder_->Feed({transfer->buffer, static_cast<size_t>(transfer->actual_length)},
                         self->decoded_);
    self->last_data_ = Clock::now();
  } else if (transfer->status != LIBUSB_TRANSFER_COMPLETED &&
             transfer->status != LIBUSB_TRANSFER_TIMED_OUT &&
             transfer->status != LIBUSB_TRANSFER_CANCELLED && self->transfer_error_.empty()) {
    self->transfer_error_ = transfer->status == LIBUSB_TRANSFER_NO_DEVICE
                                ? "the JS110 was unplugged"
                                : "bulk transfer failed (status " +
                                      std::to_string(static_cast<int>(transfer->status)) + ")";
  }
  const bool failed = !self->transfer_error_.empty();
  if (self->resubmit_ && !failed && transfer->status != LIBUSB_TRANSFER_CANCELLED &&
      libusb_submit_transfer(transfer) == 0) {
    return;
  }
  --self->in_flight_;
}

Status Js110Probe::Acquire() {
  resubmit_ = true;
  transfer_error_.clear();
  last_data_ = Clock::now();
  const size_t bytes = kFrameBytes * options_.frames_per_transfer;
  buffers_.assign(options_.transfers_in_flight, std::vector<uint8_t>(bytes));
  for (size_t i = 0; i < options_.transfers_in_flight; ++i) {
    libusb_transfer* transfer = libusb_alloc_transfer(0);
    libusb_fill_bulk_transfer(transfer, handle_, kStreamEndpoint, buffers_[i].data(),
                              static_cast<int>(bytes), &Js110Probe::OnTransfer, this, 0);
    transfers_.push_back(transfer);
    if (libusb_submit_transfer(transfer) == 0) ++in_flight_;
  }
  std::optional<Clock::time_point> stop_seen;
  std::string failure;
  while (in_flight_ > 0) {
    timeval tick{0, 50'000};
    libusb_handle_events_timeout_completed(context_, &tick, nullptr);
    decoder_->Flush(decoded_);
    for (SampleBlock& block : decoded_) Publish(std::move(block));
    decoded_.clear();
    const Clock::time_point now = Clock::now();
    if (stop_requested() && !stop_seen) stop_seen = now;
    bool end = false;
    if (!transfer_error_.empty()) {
      failure = transfer_error_;
      end = true;
    } else if (stop_seen) {
      end = now - last_data_ >= kQuietAfterStop || now - *stop_seen > kStopLimit;
    } else if (now - last_data_ > options_.stall_timeout) {
      failure = "no data for " + std::to_string(options_.stall_timeout.count()) + " ms";
      end = true;
    }
    if (end && resubmit_) {
      resubmit_ = false;
      for (libusb_transfer* transfer : transfers_) libusb_cancel_transfer(transfer);
    }
  }
  for (libusb_transfer* transfer : transfers_) libusb_free_transfer(transfer);
  transfers_.clear();
  decoder_->Flush(decoded_);
  for (SampleBlock& block : decoded_) Publish(std::move(block));
  decoded_.clear();
  if (!failure.empty()) {
    return InfrastructureError(failure + " after " + std::to_string(decoder_->samples()) +
                               " samples");
  }
  return OkStatus();
}

}  // namespace hil::js110
