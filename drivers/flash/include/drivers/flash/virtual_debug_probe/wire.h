// The two wire layers in front of the DAP, driven one pin change at a time
// by the remote_bitbang server, or a clock cycle at a time by the Bus
// Pirate's TAP shifts (bus_pirate.h).
//
// JtagDp: an ARM JTAG-DP TAP (IEEE 1149.1 state machine, IR length 4,
// IDCODE 0x4BA00477): IDCODE, BYPASS, ABORT, and the 35-bit DPACC/APACC
// scans whose reads are posted (a scan returns the previous read's value).
//
// SwdDp: an SW-DP: line reset (50 or more clocks with SWDIO high), the
// JTAG-to-SWD switch sequence, 8-bit requests with parity, a turnaround,
// the 3-bit ACK, 32 data bits with parity. DP reads are immediate, AP reads
// posted (RDBUFF). A bad request parity locks the wire out until the next
// line reset, as the protocol says.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "drivers/flash/virtual_debug_probe/adi_dap.h"

namespace hil::virtual_bench {

class JtagDp {
 public:
  static constexpr uint32_t kIdcode = 0x4BA00477;
  explicit JtagDp(AdiDap& dap) : dap_(dap) {}

  void SetPins(bool tck, bool tms, bool tdi);
  bool Tdo() const;
  // One whole TCK cycle, as a shifting adapter clocks it: returns TDO as
  // sampled before the rising edge, then clocks TMS and TDI in.
  bool ClockBit(bool tms, bool tdi) {
    const bool tdo = Tdo();
    Clock(tms, tdi);
    tck_ = false;
    return tdo;
  }
  void TestReset();  // TRST

 private:
  enum State {
    kTestLogicReset,
    kRunTestIdle,
    kSelectDr,
    kCaptureDr,
    kShiftDr,
    kExit1Dr,
    kPauseDr,
    kExit2Dr,
    kUpdateDr,
    kSelectIr,
    kCaptureIr,
    kShiftIr,
    kExit1Ir,
    kPauseIr,
    kExit2Ir,
    kUpdateIr
  };
  void Clock(bool tms, bool tdi);
  void Capture();
  void Update();

  AdiDap& dap_;
  State state_ = kTestLogicReset;
  uint32_t ir_ = 0xE;  // IDCODE
  uint32_t ir_shift_ = 0;
  uint64_t dr_ = 0;
  int dr_length_ = 32;
  uint32_t posted_ = 0;  // the last read's result
  bool ack_fault_ = false;
  bool tck_ = false;
};

class SwdDp {
 public:
  explicit SwdDp(AdiDap& dap) : dap_(dap) {}

  // The host drives SWCLK and (while it owns the line) SWDIO.
  void SetPins(bool clock, bool data);
  // What the target drives on SWDIO now.
  bool ReadData() const { return output_bit_; }

  // For tests and logs.
  bool locked_out() const { return state_ == kLockout; }
  uint32_t protocol_errors() const { return protocol_errors_; }

 private:
  enum State {
    kLockout,
    kReset,
    kIdle,
    kRequest,
    kTurnToTarget,
    kTargetDrives,
    kTurnToHost,
    kWriteData
  };
  void RisingEdge(bool data);
  void Request();
  void FinishWrite();

  AdiDap& dap_;
  State state_ = kLockout;
  State after_output_ = kIdle;
  bool clock_ = false;
  int ones_ = 0;
  std::vector<bool> bits_;
  std::deque<bool> output_;
  bool output_bit_ = true;
  bool ap_ = false, read_ = false;
  uint32_t address_ = 0;
  uint32_t protocol_errors_ = 0;
};

}  // namespace hil::virtual_bench
