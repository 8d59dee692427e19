#include "probes/ppk2/codec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace hil::ppk2 {
namespace {

// x = (adc * 4 - O) * (1.8 / 163840) / R: the shunt voltage over R.
constexpr double kVoltsPerAdcUnit = 1.8 / 163840.0;

double ShuntTerm(uint32_t adc, int range, const Calibration& c) {
  return (static_cast<double>(adc) * 4.0 - c.o[range]) * kVoltsPerAdcUnit / c.r[range];
}

// The table of metadata keys that carry one value per range.
struct RangeKey {
  const char* prefix;
  std::array<double, kRanges> Calibration::*field;
};
constexpr RangeKey kRangeKeys[] = {
    {"R", &Calibration::r},   {"GS", &Calibration::gs}, {"GI", &Calibration::gi},
    {"O", &Calibration::o},   {"S", &Calibration::s},   {"I", &Calibration::i},
    {"UG", &Calibration::ug},
};

std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

}  // namespace

std::vector<uint8_t> EncodeCommand(Opcode opcode, std::span<const uint8_t> arguments) {
  std::vector<uint8_t> bytes;
  bytes.reserve(1 + arguments.size());
  bytes.push_back(static_cast<uint8_t>(opcode));
  for (uint8_t argument : arguments) bytes.push_back(argument);
  return bytes;
}

std::vector<uint8_t> RegulatorSetCommand(uint32_t millivolts) {
  const uint8_t arguments[] = {static_cast<uint8_t>(millivolts >> 8),
                               static_cast<uint8_t>(millivolts & 0xFF)};
  return EncodeCommand(Opcode::kRegulatorSet, arguments);
}

std::optional<size_t> ArgumentBytes(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kAverageStart:
    case Opcode::kAverageStop:
    case Opcode::kSpikeFilteringOn:
    case Opcode::kSpikeFilteringOff:
    case Opcode::kGetMetadata:
    case Opcode::kReset:
      return 0;
    case Opcode::kDeviceRunningSet:
    case Opcode::kSetPowerMode:
      return 1;
    case Opcode::kRegulatorSet:
      return 2;
    case Opcode::kSetUserGains:
      return 5;
  }
  return std::nullopt;
}

std::string FormatMetadata(const Metadata& metadata) {
  std::string text = "Calibrated: " + std::string(metadata.calibrated ? "1" : "0") + "\n";
  for (const RangeKey& key : kRangeKeys) {
    for (int range = 0; range < kRanges; ++range) {
      text += key.prefix + std::to_string(range) + ": " +
              FormatNumber((metadata.calibration.*key.field)[range]) + "\n";
    }
  }
  text += "VDD: " + std::to_string(metadata.vdd_mv) + "\n";
  text += "HW: " + metadata.hw + "\n";
  text += "mode: " + metadata.mode + "\n";
  text += "IA: " + metadata.ia + "\n";
  text += "END\n";
  return text;
}

Result<Metadata> ParseMetadata(const std::string& text) {
  Metadata metadata;
  std::istringstream lines(text);
  std::string line;
  bool ended = false;
  int recognised = 0;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "END") {
      ended = true;
      break;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (key == "Calibrated") {
      metadata.calibrated = value == "1";
      ++recognised;
    } else if (key == "VDD") {
      metadata.vdd_mv = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
      ++recognised;
    } else if (key == "HW") {
      metadata.hw = value;
      ++recognised;
    } else if (key == "mode") {
      metadata.mode = value;
      ++recognised;
    } else if (key == "IA") {
      metadata.ia = value;
      ++recognised;
    } else {
      for (const RangeKey& range_key : kRangeKeys) {
        const std::string prefix = range_key.prefix;
        if (key.size() != prefix.size() + 1 || key.compare(0, prefix.size(), prefix) != 0) continue;
        const int range = key.back() - '0';
        if (range < 0 || range >= kRanges) continue;
        char* end = nullptr;
        const double number = std::strtod(value.c_str(), &end);
        ++recognised;
        if (end == value.c_str() || std::isnan(number)) continue;  // "-nan": keep the default
        if (range_key.field == &Calibration::r && number == 0) continue;
        (metadata.calibration.*range_key.field)[range] = number;
      }
    }
  }
  if (!ended) return InfrastructureError("PPK2 metadata has no END line");
  if (recognised == 0) return InfrastructureError("PPK2 metadata has no known key");
  return metadata;
}

uint32_t EncodeWord(const Sample& sample) {
  return (sample.adc & 0x3FFFu) | (static_cast<uint32_t>(sample.range & 0x7) << 14) |
         (static_cast<uint32_t>(sample.counter & 0x3F) << 18) |
         (static_cast<uint32_t>(sample.logic) << 24);
}

Sample DecodeWord(uint32_t word) {
  Sample sample;
  sample.adc = word & 0x3FFFu;
  sample.range = static_cast<int>((word >> 14) & 0x7);
  sample.counter = static_cast<uint8_t>((word >> 18) & 0x3F);
  sample.logic = static_cast<uint8_t>(word >> 24);
  return sample;
}

double AdcToAmps(uint32_t adc, int range, const Calibration& c, double vdd_volts) {
  const double x = ShuntTerm(adc, range, c);
  return c.ug[range] * (x * (c.gs[range] * x + c.gi[range]) + c.s[range] * vdd_volts + c.i[range]);
}

double RangeMaxAmps(int range, const Calibration& calibration, double vdd_volts) {
  return AdcToAmps(kAdcMax, range, calibration, vdd_volts);
}

double AmpsPerStep(uint32_t adc, int range, const Calibration& calibration, double vdd_volts) {
  const uint32_t next = adc < kAdcMax ? adc + 1 : adc;
  const uint32_t previous = adc < kAdcMax ? adc : adc - 1;
  return std::abs(AdcToAmps(next, range, calibration, vdd_volts) -
                  AdcToAmps(previous, range, calibration, vdd_volts));
}

Sample AmpsToSample(double amps, const Calibration& c, double vdd_volts) {
  int range = kRanges - 1;
  for (int r = 0; r < kRanges; ++r) {
    if (amps <= 0.9 * RangeMaxAmps(r, c, vdd_volts)) {
      range = r;
      break;
    }
  }
  // Invert I = UG (x (GS x + GI) + S VDD + I0) for x, then x for the ADC
  // value; the root is the one that grows with the current.
  const double target = amps / c.ug[range] - c.s[range] * vdd_volts - c.i[range];
  double x;
  if (c.gs[range] == 0) {
    x = target / c.gi[range];
  } else {
    const double discriminant = c.gi[range] * c.gi[range] + 4 * c.gs[range] * target;
    x = (-c.gi[range] + std::sqrt(std::max(0.0, discriminant))) / (2 * c.gs[range]);
  }
  const double adc_units = (x * c.r[range] / kVoltsPerAdcUnit + c.o[range]) / 4.0;
  double rounded = std::round(adc_units);
  rounded = std::clamp(rounded, 0.0, static_cast<double>(kAdcMax));
  Sample sample;
  sample.range = range;
  sample.adc = static_cast<uint32_t>(rounded);
  // Rounding in ADC units is nearest in current too, unless the curve bends
  // between the two neighbours; check them.
  double best = std::abs(AdcToAmps(sample.adc, range, c, vdd_volts) - amps);
  for (int delta : {-1, 1}) {
    const int64_t candidate = static_cast<int64_t>(sample.adc) + delta;
    if (candidate < 0 || candidate > kAdcMax) continue;
    const double error =
        std::abs(AdcToAmps(static_cast<uint32_t>(candidate), range, c, vdd_volts) - amps);
    if (error < best) {
      best = error;
      sample.adc = static_cast<uint32_t>(candidate);
    }
  }
  return sample;
}

}  // namespace hil::ppk2
