#include "drivers/flash/virtual_debug_probe/bus_pirate.h"

namespace hil::virtual_bench {
namespace {

constexpr uint8_t kExitOrEnter = 0x00;
constexpr uint8_t kEnterOpenOcd = 0x06;
constexpr uint8_t kResetToTerminal = 0x0F;
constexpr uint8_t kPortMode = 0x01, kFeature = 0x02, kReadAdcs = 0x03, kTapShift = 0x05,
                  kUartSpeed = 0x07;
constexpr uint8_t kFeatureTrst = 0x04, kFeatureSrst = 0x08;
constexpr int kZerosToEnterBinary = 20;

// The ADC scale of the Bus Pirate v3 (OpenOCD divides by 155.1515).
uint16_t AdcCounts(double volts) { return static_cast<uint16_t>(volts * 155.1515 + 0.5); }

}  // namespace

void BusPirateOcd::Feed(const uint8_t* data, size_t length, std::string& replies) {
  pending_.append(reinterpret_cast<const char*>(data), length);
  size_t at = 0;
  while (at < pending_.size()) {
    const size_t taken = Command(reinterpret_cast<const uint8_t*>(pending_.data()) + at,
                                 pending_.size() - at, replies);
    if (taken == 0) break;  // the rest of this command is still on its way
    at += taken;
  }
  pending_.erase(0, at);
}

size_t BusPirateOcd::Command(const uint8_t* command, size_t length, std::string& replies) {
  const uint8_t first = command[0];
  switch (mode_) {
    case Mode::kTerminal:
      // The user terminal ignores everything but a run of NULs.
      if (first != kExitOrEnter) {
        zeros_in_terminal_ = 0;
        return 1;
      }
      if (++zeros_in_terminal_ == kZerosToEnterBinary) {
        zeros_in_terminal_ = 0;
        mode_ = Mode::kBinary;
        replies += "BBIO1";
      }
      return 1;
    case Mode::kBinary:
      if (first == kExitOrEnter) {
        replies += "BBIO1";
      } else if (first == kEnterOpenOcd) {
        mode_ = Mode::kOpenOcd;
        replies += "OCD1";
      } else if (first == kResetToTerminal) {
        mode_ = Mode::kTerminal;
        replies += '\x01';
      } else {
        ++protocol_errors_;  // SPI, I2C, UART, raw-wire...: not on this probe
      }
      return 1;
    case Mode::kOpenOcd:
      return OpenOcdCommand(command, length, replies);
  }
  return 1;
}

size_t BusPirateOcd::OpenOcdCommand(const uint8_t* command, size_t length, std::string& replies) {
  switch (command[0]) {
    case kExitOrEnter:
      mode_ = Mode::kBinary;
      replies += "BBIO1";
      return 1;
    case kPortMode:
      return length < 2 ? 0 : 2;
    case kFeature: {
      if (length < 3) return 0;
      const bool enable = command[2] != 0;  // "enable" releases a reset line
      if (command[1] == kFeatureSrst) srst_released_ = enable;
      if (command[1] == kFeatureTrst) {
        if (trst_released_ && !enable) tap_.TestReset();
        trst_released_ = enable;
      }
      return 3;
    }
    case kReadAdcs: {
      replies += static_cast<char>(kReadAdcs);
      replies += static_cast<char>(8);
      // ADC pin (the target's 3.3 V), pull-up supply (off), 3.3 V, 5 V.
      for (double volts : {3.3, 0.0, 3.3, 5.0}) {
        const uint16_t counts = AdcCounts(volts);
        replies += static_cast<char>(counts >> 8);
        replies += static_cast<char>(counts & 0xFF);
      }
      return 1;
    }
    case kTapShift:
      return Shift(command, length, replies);
    case kUartSpeed:
      if (length < 4) return 0;
      if (command[2] != 0xAA || command[3] != 0x55) {
        ++protocol_errors_;
        return 4;
      }
      replies += static_cast<char>(kUartSpeed);
      replies += static_cast<char>(command[1]);
      return 4;
    default:
      ++protocol_errors_;
      return 1;
  }
}

size_t BusPirateOcd::Shift(const uint8_t* command, size_t length, std::string& replies) {
  if (length < 3) return 0;
  const int bits = (command[1] << 8) | command[2];
  if (bits > kMaxShiftBits) {
    // The firmware refuses it; so does this model, dropping the header.
    ++protocol_errors_;
    return 3;
  }
  const size_t bytes = (static_cast<size_t>(bits) + 7) / 8;
  if (length < 3 + 2 * bytes) return 0;
  replies.append(reinterpret_cast<const char*>(command), 3);
  const size_t tdo_at = replies.size();
  replies.append(bytes, '\0');
  for (int i = 0; i < bits; ++i) {
    const size_t pair = 3 + 2 * static_cast<size_t>(i / 8);
    const int bit = i % 8;
    const bool tdi = ((command[pair] >> bit) & 1) != 0;
    const bool tms = ((command[pair + 1] >> bit) & 1) != 0;
    if (tap_.ClockBit(tms, tdi)) {
      replies[tdo_at + static_cast<size_t>(i / 8)] |= static_cast<char>(1 << bit);
    }
  }
  ++tap_shifts_;
  bits_shifted_ += static_cast<uint64_t>(bits);
  return 3 + 2 * bytes;
}

}  // namespace hil::virtual_bench
