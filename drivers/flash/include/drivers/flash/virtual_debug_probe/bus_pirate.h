// A Bus Pirate's binary modes as OpenOCD 0.12's `buspirate` adapter drives
// them over a serial port, in front of the JTAG-DP TAP. Its point is speed:
// one CMD_TAP_SHIFT carries up to 8192 TMS/TDI bit pairs (OpenOCD queues
// 128 scans in one), so a block of MEM-AP writes costs one round trip
// instead of one per scan as over remote_bitbang.
//
// The byte protocol (Bus Pirate firmware, binary mode and its OpenOCD mode):
//   terminal  20 x 0x00 enter binary mode: "BBIO1"
//   binary    0x00 -> "BBIO1"; 0x06 -> "OCD1" (OpenOCD mode);
//             0x0F -> 0x01, back to the terminal; 0x05 (raw-wire, OpenOCD's
//             SWD) is not emulated and answers nothing, as a Bus Pirate
//             without that mode would not
//   OpenOCD   0x00 -> "BBIO1", back to binary mode
//             0x01 MODE              pin mode (HiZ, push-pull, open drain)
//             0x02 FEATURE ACTION    LED, VREG, TRST, SRST, PULLUP; no reply
//             0x03                   -> 0x03 0x08 then four ADC readings,
//                                       big-endian, volts x 155.1515
//             0x05 NH NL (TDI TMS)*  shift N bits, N <= 0x2000; bit i is bit
//                                    i%8 of pair i/8 -> 0x05 NH NL and the
//                                    TDO bits, ceil(N/8) bytes, sampled
//                                    before each rising edge
//             0x07 SPEED 0xAA 0x55   serial speed (normal, fast) -> 0x07 SPEED
//                                    once the host, at its new baud rate,
//                                    sends 0xAA 0x55
// A pseudo-terminal has no baud rate, so the speed change is answered and
// nothing else changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "drivers/flash/virtual_debug_probe/wire.h"

namespace hil::virtual_bench {

class BusPirateOcd {
 public:
  enum class Mode { kTerminal, kBinary, kOpenOcd };
  static constexpr int kMaxShiftBits = 0x2000;

  explicit BusPirateOcd(JtagDp& tap) : tap_(tap) {}

  // Bytes from the host, in any split; appends the replies of every command
  // that is now complete.
  void Feed(const uint8_t* data, size_t length, std::string& replies);
  // Forgets a half-received command (the host went away mid-way).
  void DropPartialCommand() { pending_.clear(); }

  Mode mode() const { return mode_; }
  // Line levels as the host last set them (true: driven high, released).
  bool srst_released() const { return srst_released_; }
  bool trst_released() const { return trst_released_; }
  uint64_t tap_shifts() const { return tap_shifts_; }
  uint64_t bits_shifted() const { return bits_shifted_; }
  // Commands this model does not know or whose framing is wrong.
  uint64_t protocol_errors() const { return protocol_errors_; }

 private:
  // Handles the command that starts at `command`; returns the bytes it used,
  // or 0 when it is still incomplete.
  size_t Command(const uint8_t* command, size_t length, std::string& replies);
  size_t OpenOcdCommand(const uint8_t* command, size_t length, std::string& replies);
  size_t Shift(const uint8_t* command, size_t length, std::string& replies);

  JtagDp& tap_;
  Mode mode_ = Mode::kTerminal;
  int zeros_in_terminal_ = 0;
  std::string pending_;
  bool srst_released_ = true;
  bool trst_released_ = true;
  uint64_t tap_shifts_ = 0;
  uint64_t bits_shifted_ = 0;
  uint64_t protocol_errors_ = 0;
};

}  // namespace hil::virtual_bench
