// An ADIv5 debug access port: the DP registers (CTRL/STAT with its power-up
// handshake and sticky flags, SELECT, RDBUFF, DPIDR, ABORT) and one AHB
// MEM-AP (CSW, TAR, DRW, BD0-3, CFG, BASE, IDR) onto the Cortex-M bus.
// The JTAG-DP and SW-DP wire layers drive it (ARM IHI 0031).
#pragma once

#include <cstdint>

#include "drivers/flash/virtual_debug_probe/cortex_m_debug.h"

namespace hil::virtual_bench {

class AdiDap {
 public:
  explicit AdiDap(CortexMDebug& bus) : bus_(bus) {}

  // DP register at A[3:2] (0x0, 0x4, 0x8, 0xC).
  uint32_t ReadDp(uint32_t address);
  void WriteDp(uint32_t address, uint32_t value, bool jtag);
  void Abort(uint32_t value);
  // AP register at A[3:2] of the bank SELECT names.
  uint32_t ReadAp(uint32_t address);
  void WriteAp(uint32_t address, uint32_t value);

  // The last AP read's value, as RDBUFF returns it.
  uint32_t read_buffer() const { return read_buffer_; }
  void set_read_buffer(uint32_t value) { read_buffer_ = value; }
  void SetStickyError() { ctrl_stat_ |= kStickyError; }
  // A bus fault went unreported so far (a wire layer answers FAULT).
  bool sticky_error() const { return (ctrl_stat_ & kStickyError) != 0; }

  static constexpr uint32_t kSwdDpidr = 0x2BA01477;  // an ADIv5 SW-DP, as on Cortex-M4
  static constexpr uint32_t kAhbApIdr = 0x24770011;  // an AHB-AP

 private:
  static constexpr uint32_t kStickyOverrun = 1u << 1, kStickyCompare = 1u << 4,
                            kStickyError = 1u << 5, kWriteDataError = 1u << 7;
  uint32_t Transfer(uint32_t address, const uint32_t* write);

  CortexMDebug& bus_;
  uint32_t ctrl_stat_ = 0;
  uint32_t select_ = 0;
  uint32_t read_buffer_ = 0;
  uint32_t csw_ = 0x03000052;  // 32-bit, single increment, DeviceEn
  uint32_t tar_ = 0;
};

}  // namespace hil::virtual_bench
