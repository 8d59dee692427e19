#include "drivers/flash/virtual_debug_probe/cortex_m_debug.h"

#include <cstring>

namespace hil::virtual_bench {
namespace {

// ARMv7-M/ARMv8-M debug registers (ARM DDI 0403, C1.6) and components.
constexpr uint32_t kDhcsr = 0xE000EDF0, kDcrsr = 0xE000EDF4, kDcrdr = 0xE000EDF8,
                   kDemcr = 0xE000EDFC, kDfsr = 0xE000ED30, kAircr = 0xE000ED0C;
constexpr uint32_t kFpCtrl = 0xE0002000, kFpRemap = 0xE0002004, kFpComp0 = 0xE0002008;
constexpr uint32_t kDwtBase = 0xE0001000, kScsBase = 0xE000E000, kRomTable = 0xE00FF000;
constexpr uint32_t kPrivatePeripherals = 0xE0000000, kPeripherals = 0x40000000;

constexpr uint32_t kDebugKey = 0xA05F0000;
constexpr uint32_t kDebugEnable = 1u << 0, kHaltRequest = 1u << 1, kStepRequest = 1u << 2;
constexpr uint32_t kRegisterReady = 1u << 16, kHaltedStatus = 1u << 17, kRetiredStatus = 1u << 24,
                   kResetStatus = 1u << 25;
constexpr uint32_t kDfsrHalted = 1u << 0, kDfsrBreakpoint = 1u << 1, kDfsrVectorCatch = 1u << 3;
constexpr uint32_t kVectorCatchCoreReset = 1u << 0;
constexpr uint32_t kVectorKey = 0x05FA0000;

// QEMU's M-profile register numbers.
constexpr int kQemuXpsr = 0x19, kQemuD0 = 0x1a, kQemuFpscr = 0x2a, kQemuSp = 13;

// Six code and two literal comparators, FPB version 1.
constexpr uint32_t kFpCodeComparators = 6, kFpLiteralComparators = 2;

constexpr size_t kReadAhead = 1024;          // bytes fetched per memory read miss
constexpr size_t kMaxCoalesced = 64 * 1024;  // bytes gathered before a write goes out

// A minimal CoreSight ROM table: SCS, DWT, FPB (ARM IHI 0031, D1.2).
constexpr uint32_t kRomEntries[] = {0xFFF0F003, 0xFFF02003, 0xFFF03003, 0};

uint32_t ComponentId(uint32_t offset, uint32_t component_class, uint32_t part) {
  switch (offset) {
    case 0xFE0:
      return part & 0xFF;  // PIDR0
    case 0xFE4:
      return 0xB0 | ((part >> 8) & 0xF);  // PIDR1: ARM's JEP106 low bits
    case 0xFE8:
      return 0x0B;  // PIDR2: JEP106 used, ARM
    case 0xFD0:
      return 0x04;  // PIDR4: ARM's continuation code
    case 0xFF0:
      return 0x0D;
    case 0xFF4:
      return component_class << 4;
    case 0xFF8:
      return 0x05;
    case 0xFFC:
      return 0xB1;
    default:
      return 0;
  }
}

bool InMemory(uint32_t address) { return address < kPeripherals; }

}  // namespace

CortexMDebug::CortexMDebug(CoreBackend& core, DebugFaults faults)
    : core_(core), faults_(faults), halted_(!core.running()) {
  // A core found stopped looks halted by an earlier debugger.
  if (halted_) dhcsr_control_ = kDebugEnable | kHaltRequest;
}

Status CortexMDebug::Flush() {
  if (pending_.empty()) return OkStatus();
  const uint32_t address = pending_address_;
  std::vector<uint8_t> data;
  data.swap(pending_);
  HIL_RETURN_IF_ERROR(core_.WriteMemory(address, data.data(), data.size()));
  bytes_written_ += data.size();
  const std::optional<uint32_t> target = faults_.corrupt_after_load;
  if (target && !corrupted_ && *target >= address && *target - address < data.size()) {
    corrupted_ = true;
    uint8_t word[4];
    HIL_RETURN_IF_ERROR(core_.ReadMemory(*target & ~3u, word, 4));
    for (uint8_t& byte : word) byte = static_cast<uint8_t>(~byte);
    HIL_RETURN_IF_ERROR(core_.WriteMemory(*target & ~3u, word, 4));
  }
  return OkStatus();
}

Status CortexMDebug::ResumeHeld(bool dropped_by_reset) {
  if (!resume_held_) return OkStatus();
  resume_held_ = false;
  if (dropped_by_reset) return OkStatus();
  HIL_RETURN_IF_ERROR(Flush());
  cache_.clear();
  HIL_RETURN_IF_ERROR(SyncBreakpoints());
  return core_.Resume();
}

Status CortexMDebug::Idle() {
  HIL_RETURN_IF_ERROR(Flush());
  return ResumeHeld(false);
}

Status CortexMDebug::PollStopped() {
  if (halted_ || resume_held_ || !core_.running()) return OkStatus();
  Result<bool> stopped = core_.StoppedByItself();
  if (!stopped.ok()) return stopped.error();
  if (*stopped) {
    halted_ = true;
    dfsr_ |= kDfsrBreakpoint;
    cache_.clear();
  }
  return OkStatus();
}

Status CortexMDebug::SyncBreakpoints() {
  std::set<uint32_t> wanted;
  if (fp_enable_ != 0) {
    for (size_t i = 0; i < kFpCodeComparators; ++i) {
      const uint32_t comp = fp_comp_[i];
      if ((comp & 1u) == 0) continue;
      const uint32_t base = comp & 0x1FFFFFFCu;
      const uint32_t replace = comp >> 30;  // 1: lower halfword, 2: upper, 3: both
      if (replace & 1u) wanted.insert(base);
      if (replace & 2u) wanted.insert(base + 2);
    }
  }
  for (uint32_t address : breakpoints_) {
    if (wanted.count(address) == 0) HIL_RETURN_IF_ERROR(core_.Breakpoint(address, false));
  }
  for (uint32_t address : wanted) {
    if (breakpoints_.count(address) == 0) HIL_RETURN_IF_ERROR(core_.Breakpoint(address, true));
  }
  breakpoints_ = std::move(wanted);
  return OkStatus();
}

Status CortexMDebug::Reset() {
  HIL_RETURN_IF_ERROR(Flush());
  cache_.clear();
  HIL_RETURN_IF_ERROR(core_.ResetHalted());
  reset_latched_ = true;
  halted_ = true;
  const bool debugging = (dhcsr_control_ & kDebugEnable) != 0;
  if (debugging && (demcr_ & kVectorCatchCoreReset) != 0) {
    dfsr_ |= kDfsrVectorCatch;
    return OkStatus();
  }
  if (debugging && (dhcsr_control_ & kHaltRequest) != 0) {
    dfsr_ |= kDfsrHalted;
    return OkStatus();
  }
  halted_ = false;
  HIL_RETURN_IF_ERROR(SyncBreakpoints());
  return core_.Resume();
}

Result<uint32_t> CortexMDebug::ReadCoreRegister(uint32_t selector) {
  const auto from_core = [this](int number) -> uint32_t {
    Result<uint64_t> value = core_.ReadRegister(number);
    return value.ok() ? static_cast<uint32_t>(*value) : 0;  // no FPU: reads as 0
  };
  if (selector <= 15) return from_core(static_cast<int>(selector));
  if (selector == 16) return from_core(kQemuXpsr);
  if (selector == 17) {  // MSP: the stack pointer, unless a debugger set it
    auto kept = special_registers_.find(17);
    return kept != special_registers_.end() ? kept->second : from_core(kQemuSp);
  }
  if (selector == 18 || selector == 20) return special_registers_[selector];
  if (selector == 0x21) return from_core(kQemuFpscr);
  if (selector >= 0x40 && selector <= 0x5F) {
    Result<uint64_t> pair = core_.ReadRegister(kQemuD0 + static_cast<int>(selector - 0x40) / 2);
    if (!pair.ok()) return 0u;
    return static_cast<uint32_t>(*pair >> (32 * ((selector - 0x40) & 1)));
  }
  return 0u;
}

Status CortexMDebug::WriteCoreRegister(uint32_t selector, uint32_t value) {
  if (selector <= 15) return core_.WriteRegister(static_cast<int>(selector), value, 4);
  if (selector == 16) return core_.WriteRegister(kQemuXpsr, value, 4);
  if (selector == 17) {
    special_registers_[17] = value;
    return core_.WriteRegister(kQemuSp, value, 4);
  }
  if (selector == 18 || selector == 20) {
    special_registers_[selector] = value;
    return OkStatus();
  }
  if (selector == 0x21) {
    (void)core_.WriteRegister(kQemuFpscr, value, 4);  // absent without an FPU
    return OkStatus();
  }
  if (selector >= 0x40 && selector <= 0x5F) {
    const int number = kQemuD0 + static_cast<int>(selector - 0x40) / 2;
    Result<uint64_t> pair = core_.ReadRegister(number);
    if (!pair.ok()) return OkStatus();
    const int shift = 32 * static_cast<int>((selector - 0x40) & 1);
    const uint64_t updated =
        (*pair & ~(0xFFFFFFFFull << shift)) | (static_cast<uint64_t>(value) << shift);
    return core_.WriteRegister(number, updated, 8);
  }
  return OkStatus();
}

Result<uint32_t> CortexMDebug::ReadDebugRegister(uint32_t address, bool& handled) {
  handled = true;
  if (address == kDhcsr) {
    HIL_RETURN_IF_ERROR(PollStopped());
    uint32_t value = (dhcsr_control_ & 0xFFFFu) | kRegisterReady;
    if (halted_) {
      value |= kHaltedStatus;
    } else {
      retired_latched_ = true;
    }
    if (retired_latched_) value |= kRetiredStatus;
    if (reset_latched_) value |= kResetStatus;
    reset_latched_ = false;  // both clear on read
    retired_latched_ = false;
    return value;
  }
  if (address == kDcrdr) return dcrdr_;
  if (address == kDcrsr) return 0u;
  if (address == kDemcr) return demcr_;
  if (address == kDfsr) return dfsr_;
  if (address == kFpCtrl) {
    return fp_enable_ | (kFpCodeComparators << 4) | (kFpLiteralComparators << 8);
  }
  if (address == kFpRemap) return 0u;
  if (address >= kFpComp0 && address < kFpComp0 + 4 * fp_comp_.size()) {
    return fp_comp_[(address - kFpComp0) / 4];
  }
  const uint32_t offset = address & 0xFFFu;
  if (address >= kRomTable && address < kRomTable + 0x1000) {
    if (offset < sizeof kRomEntries) return kRomEntries[offset / 4];
    if (offset == 0xFCC) return 1u;  // MEMTYPE: system memory present
    return ComponentId(offset, 1, 0x4C4);
  }
  if (address >= kDwtBase && address < kDwtBase + 0x1000) {
    return offset >= 0xFD0 ? ComponentId(offset, 0xE, 0x002) : 0u;  // no comparators
  }
  if (address >= kFpCtrl && address < kFpCtrl + 0x1000) {
    return offset >= 0xFD0 ? ComponentId(offset, 0xE, 0x003) : 0u;
  }
  if (address >= kScsBase && address < kScsBase + 0x1000) {
    handled = false;  // CPUID, AIRCR, MVFR...: the core's own
    return 0u;
  }
  return 0u;  // ITM, TPIU, ETM: absent
}

Status CortexMDebug::WriteDebugRegister(uint32_t address, uint32_t value, bool& handled) {
  handled = true;
  if (address == kDhcsr) {
    if ((value & 0xFFFF0000u) != kDebugKey) return OkStatus();
    dhcsr_control_ = value & 0x2Fu;
    HIL_RETURN_IF_ERROR(PollStopped());
    if ((value & kDebugEnable) == 0) return OkStatus();
    if ((value & kHaltRequest) != 0) {
      if (!halted_) {
        HIL_RETURN_IF_ERROR(Flush());
        HIL_RETURN_IF_ERROR(core_.Halt());
        halted_ = true;
        dfsr_ |= kDfsrHalted;
      }
      return OkStatus();
    }
    if (!halted_) return OkStatus();
    HIL_RETURN_IF_ERROR(Flush());
    cache_.clear();
    if ((value & kStepRequest) != 0) {
      HIL_RETURN_IF_ERROR(SyncBreakpoints());
      HIL_RETURN_IF_ERROR(core_.StepInstruction());
      dfsr_ |= kDfsrHalted;
      retired_latched_ = true;
      return OkStatus();
    }
    // `reset run` clears C_HALT and writes AIRCR at once: resuming now would
    // run the old firmware for a moment, so the resume waits for the next
    // access that is not that reset.
    halted_ = false;
    resume_held_ = true;
    return OkStatus();
  }
  if (address == kDcrsr) {
    const uint32_t selector = value & 0x7Fu;
    if ((value & (1u << 16)) != 0) return WriteCoreRegister(selector, dcrdr_);
    Result<uint32_t> read = ReadCoreRegister(selector);
    if (!read.ok()) return read.error();
    dcrdr_ = *read;
    return OkStatus();
  }
  if (address == kDcrdr) {
    dcrdr_ = value;
    return OkStatus();
  }
  if (address == kDemcr) {
    demcr_ = value;
    return OkStatus();
  }
  if (address == kDfsr) {
    dfsr_ &= ~value;  // write one to clear
    return OkStatus();
  }
  if (address == kAircr) {
    if ((value & 0xFFFF0000u) == kVectorKey && (value & 0x5u) != 0) return Reset();
    return OkStatus();
  }
  if (address == kFpCtrl) {
    if ((value & 2u) != 0) fp_enable_ = value & 1u;  // KEY must be set
    return SyncBreakpoints();
  }
  if (address >= kFpComp0 && address < kFpComp0 + 4 * fp_comp_.size()) {
    fp_comp_[(address - kFpComp0) / 4] = value;
    return SyncBreakpoints();
  }
  if (address >= kScsBase && address < kScsBase + 0x1000) {
    handled = false;
    return OkStatus();
  }
  return OkStatus();  // the other debug components ignore writes
}

Status CortexMDebug::MemoryRead(uint32_t address, uint8_t* out, size_t length) {
  if (!InMemory(address) || !halted_ || core_.running()) {
    return core_.ReadMemory(address, out, length);
  }
  if (cache_.empty() || address < cache_address_ ||
      address + length > cache_address_ + cache_.size()) {
    const uint32_t base = address & ~static_cast<uint32_t>(kReadAhead - 1);
    size_t span = kReadAhead;
    if (base + span < address + length) span = address + length - base;
    if (base + span > kPeripherals) span = kPeripherals - base;
    cache_.resize(span);
    cache_address_ = base;
    Status filled = core_.ReadMemory(base, cache_.data(), span);
    if (!filled.ok()) {
      cache_.clear();
      return core_.ReadMemory(address, out, length);  // the miss may straddle a hole
    }
  }
  std::memcpy(out, cache_.data() + (address - cache_address_), length);
  return OkStatus();
}

Result<uint32_t> CortexMDebug::Read(uint32_t address, int size) {
  HIL_RETURN_IF_ERROR(ResumeHeld(false));
  if (address >= kPrivatePeripherals) {
    HIL_RETURN_IF_ERROR(Flush());
    const uint32_t word_address = address & ~3u;
    bool handled = false;
    Result<uint32_t> word = ReadDebugRegister(word_address, handled);
    if (!word.ok()) return word.error();
    uint32_t value = *word;
    if (!handled) {
      uint8_t bytes[4];
      HIL_RETURN_IF_ERROR(core_.ReadMemory(word_address, bytes, 4));
      value = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<uint32_t>(bytes[3]) << 24;
    }
    const uint32_t shifted = value >> (8 * (address & 3u));
    return size == 4 ? shifted : shifted & ((1u << (8 * size)) - 1u);
  }
  HIL_RETURN_IF_ERROR(Flush());
  uint8_t bytes[4] = {};
  HIL_RETURN_IF_ERROR(MemoryRead(address, bytes, static_cast<size_t>(size)));
  uint32_t value = 0;
  for (int i = 0; i < size; ++i) value |= static_cast<uint32_t>(bytes[i]) << (8 * i);
  return value;
}

Status CortexMDebug::Write(uint32_t address, int size, uint32_t value) {
  const bool is_reset_write =
      address == kAircr && (value & 0xFFFF0000u) == kVectorKey && (value & 0x5u) != 0;
  HIL_RETURN_IF_ERROR(ResumeHeld(is_reset_write));
  if (address >= kPrivatePeripherals) {
    HIL_RETURN_IF_ERROR(Flush());
    const uint32_t word_address = address & ~3u;
    uint32_t word = value;
    if (size != 4) {
      Result<uint32_t> old = Read(word_address, 4);
      if (!old.ok()) return old.error();
      const int shift = static_cast<int>(8 * (address & 3u));
      const uint32_t mask = ((1u << (8 * size)) - 1u) << shift;
      word = (*old & ~mask) | ((value << shift) & mask);
    }
    bool handled = false;
    HIL_RETURN_IF_ERROR(WriteDebugRegister(word_address, word, handled));
    if (!handled) {
      const uint8_t bytes[4] = {static_cast<uint8_t>(word), static_cast<uint8_t>(word >> 8),
                                static_cast<uint8_t>(word >> 16), static_cast<uint8_t>(word >> 24)};
      return core_.WriteMemory(word_address, bytes, 4);
    }
    return OkStatus();
  }
  cache_.clear();
  bytes_accepted_ += static_cast<uint64_t>(size);
  uint8_t bytes[4];
  for (int i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  if (!InMemory(address)) {
    HIL_RETURN_IF_ERROR(Flush());
    return core_.WriteMemory(address, bytes, static_cast<size_t>(size));
  }
  const bool continues = !pending_.empty() && address == pending_address_ + pending_.size() &&
                         pending_.size() + static_cast<size_t>(size) <= kMaxCoalesced;
  if (!continues) {
    HIL_RETURN_IF_ERROR(Flush());
    pending_address_ = address;
  }
  pending_.insert(pending_.end(), bytes, bytes + size);
  return OkStatus();
}

}  // namespace hil::virtual_bench
