#include "drivers/flash/virtual_debug_probe/adi_dap.h"

namespace hil::virtual_bench {
namespace {

constexpr uint32_t kRomTableBase = 0xE00FF000;
// CTRL/STAT power-up requests (bits 30, 28, 26); each ACK is the bit above.
constexpr uint32_t kPowerRequests = (1u << 30) | (1u << 28) | (1u << 26);

}  // namespace

uint32_t AdiDap::ReadDp(uint32_t address) {
  switch (address & 0xC) {
    case 0x0:
      return kSwdDpidr;
    case 0x4:
      return ctrl_stat_ | ((ctrl_stat_ & kPowerRequests) << 1);
    case 0x8:
      return select_;
    default:
      return read_buffer_;
  }
}

void AdiDap::WriteDp(uint32_t address, uint32_t value, bool jtag) {
  if ((address & 0xC) == 0x4) {
    uint32_t sticky =
        ctrl_stat_ & (kStickyOverrun | kStickyCompare | kStickyError | kWriteDataError);
    // A JTAG-DP clears sticky flags by writing ones; an SW-DP through ABORT.
    if (jtag) sticky &= ~(value & (kStickyOverrun | kStickyCompare | kStickyError));
    ctrl_stat_ = (value & 0x543FFF0Du) | sticky;
  } else if ((address & 0xC) == 0x8) {
    select_ = value;
  }
}

void AdiDap::Abort(uint32_t value) {
  if (value & (1u << 1)) ctrl_stat_ &= ~kStickyCompare;
  if (value & (1u << 2)) ctrl_stat_ &= ~kStickyError;
  if (value & (1u << 3)) ctrl_stat_ &= ~kWriteDataError;
  if (value & (1u << 4)) ctrl_stat_ &= ~kStickyOverrun;
}

uint32_t AdiDap::Transfer(uint32_t address, const uint32_t* write) {
  const int size = 1 << (csw_ & 0x7u);
  if (size > 4) {
    SetStickyError();
    return 0;
  }
  uint32_t value = 0;
  const int lane = static_cast<int>(8 * (address & 3u));
  if (write != nullptr) {
    const uint32_t data = size == 4 ? *write : (*write >> lane) & ((1u << (8 * size)) - 1u);
    if (!bus_.Write(address, size, data).ok()) SetStickyError();
  } else {
    Result<uint32_t> read = bus_.Read(address, size);
    if (!read.ok()) {
      SetStickyError();
    } else {
      value = size == 4 ? *read : *read << lane;
    }
  }
  return value;
}

uint32_t AdiDap::ReadAp(uint32_t address) {
  if ((select_ >> 24) != 0) return 0;  // one AP only
  const uint32_t reg = (select_ & 0xF0u) | (address & 0xCu);
  switch (reg) {
    case 0x00:
      return csw_ | (1u << 6);  // DeviceEn
    case 0x04:
      return tar_;
    case 0x0C: {
      const uint32_t value = Transfer(tar_, nullptr);
      if (((csw_ >> 4) & 3u) == 1u) tar_ += 1u << (csw_ & 0x7u);
      return value;
    }
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1C: {
      const uint32_t saved = csw_;
      csw_ = (csw_ & ~0x7u) | 2u;  // banked transfers are words
      const uint32_t value = Transfer((tar_ & ~0xFu) | (reg & 0xCu), nullptr);
      csw_ = saved;
      return value;
    }
    case 0xF4:
      return 0;  // CFG: little-endian, 32-bit addresses
    case 0xF8:
      return kRomTableBase | 0x3u;  // BASE: a ROM table, ADIv5 format, present
    case 0xFC:
      return kAhbApIdr;
    default:
      return 0;
  }
}

void AdiDap::WriteAp(uint32_t address, uint32_t value) {
  if ((select_ >> 24) != 0) return;
  const uint32_t reg = (select_ & 0xF0u) | (address & 0xCu);
  switch (reg) {
    case 0x00: {
      uint32_t csw = value & ~(0x7u << 8);
      if (((csw >> 4) & 3u) == 2u) csw &= ~(3u << 4);  // packed transfers: not supported
      if ((csw & 0x7u) > 2u) csw = (csw & ~0x7u) | 2u;
      csw_ = csw;
      break;
    }
    case 0x04:
      tar_ = value;
      break;
    case 0x0C:
      Transfer(tar_, &value);
      if (((csw_ >> 4) & 3u) == 1u) tar_ += 1u << (csw_ & 0x7u);
      break;
    case 0x10:
    case 0x14:
    case 0x18:
    case 0x1C: {
      const uint32_t saved = csw_;
      csw_ = (csw_ & ~0x7u) | 2u;
      Transfer((tar_ & ~0xFu) | (reg & 0xCu), &value);
      csw_ = saved;
      break;
    }
    default:
      break;
  }
}

}  // namespace hil::virtual_bench
