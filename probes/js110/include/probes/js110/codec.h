// The Joulescope JS110 USB protocol (facts in shared/docs/protocols.md
// section 3): vendor control requests, 512-byte stream frames on bulk IN
// 0x82 with a packet index, and 32-bit sample words carrying current range,
// current and voltage ADC values and, optionally, the GPI0/GPI1 inputs in
// the ADC fields' least-significant bits. Pure: no I/O.
//
// Two layouts protocols.md does not give are ours, marked as such in
// probes/README.md: the 16-byte settings packet and the calibration record
// (offsets and gains as float64). A real unit's calibration is a signed
// record of its own format; reading it is not done yet.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hil/power_probe.h"

namespace hil::js110 {

inline constexpr uint16_t kVendorId = 0x16D0;
inline constexpr uint16_t kProductId = 0x0E88;
inline constexpr uint8_t kStreamEndpoint = 0x82;
inline constexpr size_t kFrameBytes = 512;
inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr size_t kSamplesPerFrame = 126;
inline constexpr double kSampleRateHz = 2'000'000;
inline constexpr uint32_t kMissingSample = 0xFFFFFFFF;
inline constexpr int kCurrentRanges = 7;  // 0..6; range 7 means the current path is off
inline constexpr int kVoltageRanges = 2;

enum class Request : uint8_t {
  kSettings = 3,
  kStatus = 4,
  kCalibration = 8,
  kGpio = 9,
  kInfo = 10,
};

struct Settings {
  bool sensor_power = true;
  uint8_t current_range = 0x80;  // 0x80: automatic; 0..6 fixed; 0 with power off: DUT off
  bool streaming = false;
  bool gpi_in_samples = true;  // GPI0/GPI1 replace the ADC LSBs
  uint8_t voltage_range = 0;   // 0: 15 V, 1: 5 V
};
std::vector<uint8_t> EncodeSettings(const Settings& settings);

struct Calibration {
  std::array<double, kCurrentRanges> current_offset{};
  std::array<double, kCurrentRanges> current_gain{};
  std::array<double, kVoltageRanges> voltage_offset{};
  std::array<double, kVoltageRanges> voltage_gain{};
};
inline constexpr size_t kCalibrationBytes = 8 * (2 * kCurrentRanges + 2 * kVoltageRanges);
// Errors: infrastructure (short record, a gain that is zero or not finite).
Result<Calibration> ParseCalibration(std::span<const uint8_t> bytes);

struct SampleWord {
  bool missing = false;
  int current_range = 0;  // 0..7
  uint16_t current_adc = 0;
  uint16_t voltage_adc = 0;
  uint8_t gpi = 0;  // bit 0: GPI0 (bit 2 of the word), bit 1: GPI1 (bit 18)
};
SampleWord DecodeSampleWord(uint32_t word);

// Decodes the bulk stream, which may arrive in pieces of any size. Packet
// indexes must advance by one (mod 2^16); a jump is loss of whole frames,
// and missing sample words are loss of single samples, both at exact
// places.
class StreamDecoder {
 public:
  StreamDecoder(const Calibration& calibration, int voltage_range);

  void Feed(std::span<const uint8_t> bytes, std::vector<SampleBlock>& out);
  void Flush(std::vector<SampleBlock>& out);

  uint64_t samples() const { return samples_; }
  uint64_t lost_samples() const { return lost_; }
  uint64_t bad_frames() const { return bad_frames_; }
  // Frames whose index repeats or runs behind the last one: dropped.
  uint64_t repeated_frames() const { return repeated_frames_; }

 private:
  void Frame(const uint8_t* frame, std::vector<SampleBlock>& out);
  void Gap(uint64_t lost, std::vector<SampleBlock>& out);

  Calibration calibration_;
  int voltage_range_;
  std::vector<uint8_t> pending_;
  SampleBlock block_;
  uint64_t next_index_ = 0;
  bool have_packet_ = false;
  uint16_t packet_ = 0;
  uint64_t samples_ = 0, lost_ = 0, bad_frames_ = 0, repeated_frames_ = 0;
};

}  // namespace hil::js110
