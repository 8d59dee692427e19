#include "probes/js110/codec.h"

#include <cmath>
#include <cstring>

namespace hil::js110 {
namespace {

constexpr uint8_t kSettingsVersion = 1, kSettingsType = 1;
constexpr uint8_t kSourceRaw = 0xC0;

uint16_t Little16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] | bytes[1] << 8); }

}  // namespace

std::vector<uint8_t> EncodeSettings(const Settings& settings) {
  std::vector<uint8_t> packet(16, 0);
  packet[0] = kSettingsVersion;
  packet[1] = 16;
  packet[2] = kSettingsType;
  packet[8] = settings.sensor_power ? 1 : 0;
  packet[9] = settings.current_range;
  packet[10] = settings.streaming ? kSourceRaw : 0;
  packet[11] = settings.gpi_in_samples ? 1 : 0;
  packet[12] = settings.streaming ? 1 : 0;
  packet[13] = settings.voltage_range;
  return packet;
}

Result<Calibration> ParseCalibration(std::span<const uint8_t> bytes) {
  if (bytes.size() < kCalibrationBytes) {
    return InfrastructureError("JS110 calibration record has " + std::to_string(bytes.size()) +
                               " bytes; expected " + std::to_string(kCalibrationBytes));
  }
  Calibration calibration;
  size_t at = 0;
  auto take = [&](auto& values) {
    for (double& value : values) {
      std::memcpy(&value, bytes.data() + at, 8);  // float64 little-endian, as is the host
      at += 8;
    }
  };
  take(calibration.current_offset);
  take(calibration.current_gain);
  take(calibration.voltage_offset);
  take(calibration.voltage_gain);
  for (double gain : calibration.current_gain) {
    if (!std::isfinite(gain) || gain == 0) {
      return InfrastructureError("JS110 calibration has a current gain of " + std::to_string(gain) +
                                 ": the record is damaged");
    }
  }
  return calibration;
}

SampleWord DecodeSampleWord(uint32_t word) {
  SampleWord sample;
  if (word == kMissingSample) {
    sample.missing = true;
    return sample;
  }
  sample.current_range = static_cast<int>((word & 0x3) | ((word >> 16) & 0x1) << 2);
  sample.current_adc = static_cast<uint16_t>((word >> 2) & 0x3FFF);
  sample.voltage_adc = static_cast<uint16_t>((word >> 18) & 0x3FFF);
  sample.gpi = static_cast<uint8_t>(((word >> 2) & 1) | ((word >> 18) & 1) << 1);
  return sample;
}

StreamDecoder::StreamDecoder(const Calibration& calibration, int voltage_range)
    : calibration_(calibration), voltage_range_(voltage_range) {}

void StreamDecoder::Feed(std::span<const uint8_t> bytes, std::vector<SampleBlock>& out) {
  size_t at = 0;
  if (!pending_.empty()) {
    const size_t take = std::min(kFrameBytes - pending_.size(), bytes.size());
    pending_.insert(pending_.end(), bytes.begin(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(take));
    at = take;
    if (pending_.size() < kFrameBytes) return;
    Frame(pending_.data(), out);
    pending_.clear();
  }
  for (; at + kFrameBytes <= bytes.size(); at += kFrameBytes) Frame(bytes.data() + at, out);
  pending_.insert(pending_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.end());
}

void StreamDecoder::Flush(std::vector<SampleBlock>& out) {
  if (!block_.empty()) out.push_back(std::move(block_));
  block_ = SampleBlock();
  block_.first_index = next_index_;
}

void StreamDecoder::Gap(uint64_t lost, std::vector<SampleBlock>& out) {
  Flush(out);
  block_.lost_before = lost;
  lost_ += lost;
  next_index_ += lost;
  block_.first_index = next_index_;
}

void StreamDecoder::Frame(const uint8_t* frame, std::vector<SampleBlock>& out) {
  const uint16_t length = Little16(frame + 2);
  const uint16_t packet = Little16(frame + 4);
  if (length > kFrameBytes) {
    ++bad_frames_;  // not a stream frame; its samples cannot be placed
    return;
  }
  if (have_packet_) {
    // The index counts up modulo 2^16. A frame at or behind the last one
    // (a repeat from the USB stack) is not 65,535 lost frames: it is
    // dropped and counted.
    const uint16_t ahead = static_cast<uint16_t>(packet - packet_);
    if (ahead == 0 || ahead > 0x8000) {
      ++repeated_frames_;
      return;
    }
    if (ahead > 1) Gap(static_cast<uint64_t>(ahead - 1) * kSamplesPerFrame, out);
  }
  have_packet_ = true;
  packet_ = packet;
  for (size_t k = 0; k < kSamplesPerFrame; ++k) {
    uint32_t word;
    std::memcpy(&word, frame + kFrameHeaderBytes + 4 * k, 4);
    const SampleWord sample = DecodeSampleWord(word);
    if (sample.missing) {
      Gap(1, out);
      continue;
    }
    double amps = 0;  // range 7: the current path is off
    if (sample.current_range < kCurrentRanges) {
      amps = (sample.current_adc + calibration_.current_offset[sample.current_range]) *
             calibration_.current_gain[sample.current_range];
    }
    const double volts = (sample.voltage_adc + calibration_.voltage_offset[voltage_range_]) *
                         calibration_.voltage_gain[voltage_range_];
    block_.current_a.push_back(amps);
    block_.voltage_samples_v.push_back(static_cast<float>(volts));
    block_.logic.push_back(sample.gpi);
    ++next_index_;
    ++samples_;
  }
}

}  // namespace hil::js110
