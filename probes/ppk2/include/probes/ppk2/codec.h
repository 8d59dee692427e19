// The Nordic Power Profiler Kit II wire format: commands, metadata and sample
// words (facts in shared/docs/protocols.md section 1). Pure: bytes in, values
// out, no I/O. The host driver decodes with it; the virtual PPK2 encodes with
// it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::ppk2 {

inline constexpr int kRanges = 5;
inline constexpr double kSampleRateHz = 100'000;
inline constexpr uint32_t kAdcMax = 16383;  // 14-bit raw value

enum class Opcode : uint8_t {
  kAverageStart = 0x06,
  kAverageStop = 0x07,
  kDeviceRunningSet = 0x0C,
  kRegulatorSet = 0x0D,
  kSetPowerMode = 0x11,
  kSpikeFilteringOn = 0x15,
  kSpikeFilteringOff = 0x16,
  kGetMetadata = 0x19,
  kReset = 0x20,
  kSetUserGains = 0x25,
};

enum class PowerMode : uint8_t { kAmpereMeter = 1, kSourceMeter = 2 };

// Calibration constants per measurement range.
struct Calibration {
  std::array<double, kRanges> r = {1031.64, 101.65, 10.15, 0.94, 0.043};  // shunt ohms
  std::array<double, kRanges> gs = {1, 1, 1, 1, 1};
  std::array<double, kRanges> gi = {1, 1, 1, 1, 1};
  std::array<double, kRanges> o = {0, 0, 0, 0, 0};
  std::array<double, kRanges> s = {0, 0, 0, 0, 0};
  std::array<double, kRanges> i = {0, 0, 0, 0, 0};
  std::array<double, kRanges> ug = {1, 1, 1, 1, 1};
};

struct Metadata {
  Calibration calibration;
  bool calibrated = false;
  uint32_t vdd_mv = 0;
  std::string hw;
  std::string mode;
  std::string ia;
};

// One decoded sample word.
struct Sample {
  uint32_t adc = 0;     // 14-bit raw value
  int range = 0;        // 0..4
  uint8_t counter = 0;  // 6-bit rolling counter
  uint8_t logic = 0;    // D0..D7
};

// Commands as bytes.
std::vector<uint8_t> EncodeCommand(Opcode opcode, std::span<const uint8_t> arguments = {});
std::vector<uint8_t> RegulatorSetCommand(uint32_t millivolts);

// How many argument bytes follow an opcode; nullopt for unknown opcodes.
std::optional<size_t> ArgumentBytes(uint8_t opcode);

// Metadata text as the device sends it, ending with "END\n".
std::string FormatMetadata(const Metadata& metadata);
// Parses metadata text. Absent keys keep their defaults; "-nan" values and a
// zero shunt resistance keep the default, as a bad calibration would.
// Errors: infrastructure (no END line, no recognisable key).
Result<Metadata> ParseMetadata(const std::string& text);

uint32_t EncodeWord(const Sample& sample);
Sample DecodeWord(uint32_t word);

// Current in amperes for an ADC value in a range (the vendor's conversion).
double AdcToAmps(uint32_t adc, int range, const Calibration& calibration, double vdd_volts);

// The largest current a range can show before its ADC saturates.
double RangeMaxAmps(int range, const Calibration& calibration, double vdd_volts);

// The sample the device would report for a current: the lowest range that
// holds it with 10 % headroom, and the ADC value whose decoded current is
// nearest. The counter and logic bits are left to the caller.
Sample AmpsToSample(double amps, const Calibration& calibration, double vdd_volts);

// One ADC step in amperes at the given ADC value and range: the decoding
// resolution there.
double AmpsPerStep(uint32_t adc, int range, const Calibration& calibration, double vdd_volts);

}  // namespace hil::ppk2
