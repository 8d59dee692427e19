#include "probes/lpm01a/codec.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace hil::lpm01a {

std::optional<double> ParseSuffixedNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double scale = 1;
  switch (text.back()) {
    case 'u':
      scale = 1e-6;
      break;
    case 'm':
      scale = 1e-3;
      break;
    case 'k':
      scale = 1e3;
      break;
    default:
      break;
  }
  if (scale != 1) text.remove_suffix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value * scale;
}

std::string FormatAsciiCurrent(double amps) {
  if (amps <= 0) return "0000-00";
  // Four significant digits: mantissa in 1000..9999.
  int exponent = 3 - static_cast<int>(std::floor(std::log10(amps)));
  long mantissa = std::lround(amps * std::pow(10.0, exponent));
  if (mantissa >= 10000) {
    mantissa = std::lround(static_cast<double>(mantissa) / 10.0);
    --exponent;
  }
  if (exponent < 0 || exponent > 99) return exponent < 0 ? "9999-00" : "0000-00";
  char text[16];
  std::snprintf(text, sizeof(text), "%04ld-%02d", mantissa, exponent);
  return text;
}

std::optional<double> ParseAsciiCurrent(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int mantissa = 0, exponent = 0;
  auto m = std::from_chars(text.data(), text.data() + 4, mantissa);
  auto e = std::from_chars(text.data() + 5, text.data() + 7, exponent);
  if (m.ec != std::errc() || m.ptr != text.data() + 4 || e.ec != std::errc() ||
      e.ptr != text.data() + 7) {
    return std::nullopt;
  }
  return mantissa * std::pow(10.0, -exponent);
}

uint16_t EncodeBinaryCurrent(double amps) {
  if (amps <= 0) return 0;
  for (int exponent = 15; exponent >= 0; --exponent) {
    const double mantissa = std::round(amps * std::pow(16.0, exponent));
    if (mantissa <= 4095) {
      return static_cast<uint16_t>((exponent << 12) | static_cast<int>(mantissa));
    }
  }
  return 0x0FFF;  // 4095 A: saturated
}

double DecodeBinaryCurrent(uint16_t word) {
  return (word & 0x0FFF) * std::pow(16.0, -(word >> 12));
}

std::vector<uint8_t> TextFrame(FrameType type, std::string_view text) {
  std::vector<uint8_t> frame;
  frame.reserve(text.size() + 4);
  frame.push_back(0xF0);
  frame.push_back(static_cast<uint8_t>(type));
  for (char c : text) frame.push_back(static_cast<uint8_t>(c));
  frame.push_back(0xFF);
  frame.push_back(0xFF);
  return frame;
}

std::vector<uint8_t> TimestampFrame(uint32_t milliseconds, uint8_t buffer_load_percent) {
  return {0xF0,
          static_cast<uint8_t>(FrameType::kTimestamp),
          static_cast<uint8_t>(milliseconds >> 24),
          static_cast<uint8_t>(milliseconds >> 16),
          static_cast<uint8_t>(milliseconds >> 8),
          static_cast<uint8_t>(milliseconds),
          buffer_load_percent,
          0xFF,
          0xFF};
}

std::vector<std::string> SplitCommand(std::string_view line) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < line.size()) {
    while (start < line.size() && (line[start] == ' ' || line[start] == '\r')) ++start;
    size_t end = start;
    while (end < line.size() && line[end] != ' ' && line[end] != '\r') ++end;
    if (end > start) words.emplace_back(line.substr(start, end - start));
    start = end;
  }
  return words;
}

}  // namespace hil::lpm01a
