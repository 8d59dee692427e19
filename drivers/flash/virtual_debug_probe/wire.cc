#include "drivers/flash/virtual_debug_probe/wire.h"

namespace hil::virtual_bench {
namespace {

// JTAG-DP instructions (ARM IHI 0031, B3.3).
constexpr uint32_t kIrAbort = 0x8, kIrDpacc = 0xA, kIrApacc = 0xB, kIrIdcode = 0xE;
// JTAG-DP ACK codes in a scan's low three bits.
constexpr uint64_t kAckOkFault = 0b010;

bool Parity(uint32_t value) { return __builtin_parity(value) != 0; }

}  // namespace

void JtagDp::SetPins(bool tck, bool tms, bool tdi) {
  if (tck && !tck_) Clock(tms, tdi);
  tck_ = tck;
}

bool JtagDp::Tdo() const {
  if (state_ == kShiftDr) return (dr_ & 1u) != 0;
  if (state_ == kShiftIr) return (ir_shift_ & 1u) != 0;
  return false;
}

void JtagDp::TestReset() {
  state_ = kTestLogicReset;
  ir_ = kIrIdcode;
}

void JtagDp::Clock(bool tms, bool tdi) {
  // Shift on the rising edge in the shift states, then move.
  if (state_ == kShiftDr) {
    dr_ = (dr_ >> 1) | (static_cast<uint64_t>(tdi) << (dr_length_ - 1));
  } else if (state_ == kShiftIr) {
    ir_shift_ = (ir_shift_ >> 1) | (static_cast<uint32_t>(tdi) << 3);
  }
  static constexpr State kNext[16][2] = {{kRunTestIdle, kTestLogicReset},
                                         {kRunTestIdle, kSelectDr},
                                         {kCaptureDr, kSelectIr},
                                         {kShiftDr, kExit1Dr},
                                         {kShiftDr, kExit1Dr},
                                         {kPauseDr, kUpdateDr},
                                         {kPauseDr, kExit2Dr},
                                         {kShiftDr, kUpdateDr},
                                         {kRunTestIdle, kSelectDr},
                                         {kCaptureIr, kTestLogicReset},
                                         {kShiftIr, kExit1Ir},
                                         {kShiftIr, kExit1Ir},
                                         {kPauseIr, kUpdateIr},
                                         {kPauseIr, kExit2Ir},
                                         {kShiftIr, kUpdateIr},
                                         {kRunTestIdle, kSelectDr}};
  state_ = kNext[state_][tms ? 1 : 0];
  switch (state_) {
    case kTestLogicReset:
      ir_ = kIrIdcode;
      break;
    case kCaptureIr:
      ir_shift_ = 0b0001;  // IEEE 1149.1: the two low bits capture 01
      break;
    case kUpdateIr:
      ir_ = ir_shift_ & 0xFu;
      break;
    case kCaptureDr:
      Capture();
      break;
    case kUpdateDr:
      Update();
      break;
    default:
      break;
  }
}

void JtagDp::Capture() {
  if (ir_ == kIrIdcode) {
    dr_ = kIdcode;
    dr_length_ = 32;
  } else if (ir_ == kIrDpacc || ir_ == kIrApacc || ir_ == kIrAbort) {
    // The previous transaction's read data and its ACK. This DP never
    // answers WAIT: every transfer completes before the next scan.
    dr_ = (static_cast<uint64_t>(posted_) << 3) | kAckOkFault;
    dr_length_ = 35;
  } else {
    dr_ = 0;  // BYPASS and the rest
    dr_length_ = 1;
  }
}

void JtagDp::Update() {
  if (ir_ != kIrDpacc && ir_ != kIrApacc && ir_ != kIrAbort) return;
  const bool read = (dr_ & 1u) != 0;
  const uint32_t address = static_cast<uint32_t>((dr_ >> 1) & 3u) << 2;
  const uint32_t data = static_cast<uint32_t>(dr_ >> 3);
  if (ir_ == kIrAbort) {
    dap_.Abort(data);
    return;
  }
  if (ir_ == kIrDpacc) {
    if (read) {
      posted_ = dap_.ReadDp(address);
    } else {
      dap_.WriteDp(address, data, /*jtag=*/true);
    }
    return;
  }
  if (read) {
    posted_ = dap_.ReadAp(address);
    dap_.set_read_buffer(posted_);
  } else {
    dap_.WriteAp(address, data);
  }
}

void SwdDp::SetPins(bool clock, bool data) {
  if (clock && !clock_) RisingEdge(data);
  clock_ = clock;
}

void SwdDp::RisingEdge(bool data) {
  // 50 clocks with SWDIO high are a line reset, wherever the wire was (the
  // host drives low while the target owns the line).
  ones_ = data ? ones_ + 1 : 0;
  if (ones_ >= 50) {
    state_ = kReset;
    bits_.clear();
    output_bit_ = true;
    return;
  }
  switch (state_) {
    case kTurnToTarget:  // the turnaround: the target takes the line, ACK bit 0 out
    case kTargetDrives:
      if (!output_.empty()) {
        state_ = kTargetDrives;
        output_bit_ = output_.front();
        output_.pop_front();
      } else {
        state_ = kTurnToHost;
        output_bit_ = true;
      }
      return;
    case kTurnToHost:  // the turnaround back to the host
      state_ = after_output_;
      bits_.clear();
      return;
    case kWriteData:
      bits_.push_back(data);
      if (bits_.size() == 33) {
        FinishWrite();
        state_ = kIdle;
      }
      return;
    case kReset:
      if (!data) state_ = kIdle;  // idle cycles (low) follow a reset
      return;
    case kIdle:
      if (data) {  // a start bit
        bits_.assign(1, true);
        state_ = kRequest;
      }
      return;
    case kRequest:
      bits_.push_back(data);
      if (bits_.size() == 8) Request();
      return;
    case kLockout:
      return;  // until a line reset
  }
}

void SwdDp::Request() {
  // Start, APnDP, RnW, A2, A3, parity, stop, park.
  const bool ap = bits_[1], read = bits_[2], a2 = bits_[3], a3 = bits_[4];
  const bool parity = bits_[5], stop = bits_[6], park = bits_[7];
  bits_.clear();
  if (stop || !park || parity != (ap ^ read ^ a2 ^ a3)) {
    ++protocol_errors_;
    state_ = kLockout;  // no ACK: the host sees the line undriven
    return;
  }
  ap_ = ap;
  read_ = read;
  address_ = (static_cast<uint32_t>(a2) | static_cast<uint32_t>(a3) << 1) << 2;
  output_.clear();
  // ACK, least significant bit first: OK is 0b001; FAULT (0b100) while a
  // sticky error waits to be cleared, except for the DP reads and ABORT
  // that clear it.
  const bool fault = dap_.sticky_error() && (ap || (!read && address_ != 0));
  output_.insert(output_.end(), fault ? std::initializer_list<bool>{false, false, true}
                                      : std::initializer_list<bool>{true, false, false});
  if (fault) {
    after_output_ = kIdle;
  } else if (read) {
    uint32_t value = 0;
    if (ap) {  // posted: the previous AP read's value now, this one in RDBUFF
      value = dap_.read_buffer();
      dap_.set_read_buffer(dap_.ReadAp(address_));
    } else {
      value = dap_.ReadDp(address_);
    }
    for (int i = 0; i < 32; ++i) output_.push_back(((value >> i) & 1u) != 0);
    output_.push_back(Parity(value));
    after_output_ = kIdle;
  } else {
    after_output_ = kWriteData;  // after the ACK and a turnaround, the host's data
  }
  state_ = kTurnToTarget;
}

void SwdDp::FinishWrite() {
  uint32_t value = 0;
  for (int i = 0; i < 32; ++i) value |= static_cast<uint32_t>(bits_[i]) << i;
  if (bits_[32] != Parity(value)) {
    ++protocol_errors_;
    return;  // WDATAERR in a full SW-DP; the write is dropped
  }
  if (ap_) {
    dap_.WriteAp(address_, value);
  } else if (address_ == 0x0) {
    dap_.Abort(value);
  } else if (address_ != 0xC) {  // 0xC: TARGETSEL (multidrop), ignored
    dap_.WriteDp(address_, value, /*jtag=*/false);
  }
}

}  // namespace hil::virtual_bench
