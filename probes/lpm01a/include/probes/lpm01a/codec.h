// The ST X-NUCLEO-LPM01A (PowerShield) wire format: ASCII commands and
// acknowledgements, ASCII and binary current samples, and binary metadata
// frames (facts in shared/docs/protocols.md section 2). Pure: no I/O. The
// host driver decodes with it; the virtual LPM01A encodes with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hil::lpm01a {

// The prompt the device puts before every reply line.
inline constexpr std::string_view kPrompt = "PowerShield > ";

// Parses a number with an optional u/m/k suffix: "3300m" -> 3.3,
// "100k" -> 100000, "100u" -> 1e-4. nullopt if it is not one.
std::optional<double> ParseSuffixedNumber(std::string_view text);

// ASCII samples: "MMMM-EE" is MMMM x 10^-EE amperes, four significant
// digits ("6409-07" = 640.9 uA).
std::string FormatAsciiCurrent(double amps);
std::optional<double> ParseAsciiCurrent(std::string_view text);

// Binary samples: 16 bits, big-endian; the top 4 bits are a negative hex
// exponent, the low 12 bits a mantissa: mantissa x 16^-exponent amperes.
// Encoding picks the largest exponent whose mantissa still fits, which is the
// finest step for the value.
uint16_t EncodeBinaryCurrent(double amps);
double DecodeBinaryCurrent(uint16_t word);

// Binary metadata frames: 0xF0 + type, payload, 0xFF 0xFF.
enum class FrameType : uint8_t {
  kError = 0xF1,
  kInfo = 0xF2,
  kTimestamp = 0xF3,
  kEndOfAcquisition = 0xF4,
  kOvercurrent = 0xF5,
};
std::vector<uint8_t> TextFrame(FrameType type, std::string_view text);
std::vector<uint8_t> TimestampFrame(uint32_t milliseconds, uint8_t buffer_load_percent);

// A command line split into words ("volt 3300m" -> {"volt", "3300m"}).
std::vector<std::string> SplitCommand(std::string_view line);

}  // namespace hil::lpm01a
