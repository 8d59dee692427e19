// The Cortex-M system bus as a debugger's MEM-AP sees it: the debug
// registers (DHCSR, DCRSR/DCRDR, DEMCR, DFSR, AIRCR, FPB, DWT, a ROM table)
// emulated here, every other address forwarded to the emulated core. QEMU's
// gdbstub reads those debug registers as 0 and drops MMIO writes, so they
// must live on this side (protocols.md section 7).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "hil/error.h"

namespace hil::virtual_bench {

// What the debug block needs from the emulated core.
class CoreBackend {
 public:
  virtual ~CoreBackend() = default;
  virtual Status ReadMemory(uint32_t address, uint8_t* out, size_t length) = 0;
  virtual Status WriteMemory(uint32_t address, const uint8_t* data, size_t length) = 0;
  // QEMU's register numbers (gdb_remote.h).
  virtual Result<uint64_t> ReadRegister(int number) = 0;
  virtual Status WriteRegister(int number, uint64_t value, int bytes) = 0;
  virtual Status Halt() = 0;
  virtual Status Resume() = 0;
  virtual Status StepInstruction() = 0;
  // While running: whether the core stopped by itself (a breakpoint).
  virtual Result<bool> StoppedByItself() = 0;
  // A system reset that leaves the core stopped at the reset vector.
  virtual Status ResetHalted() = 0;
  virtual Status Breakpoint(uint32_t address, bool insert) = 0;
  virtual bool running() const = 0;
};

struct DebugFaults {
  // After the load that wrote this address, the word there is inverted in
  // the target: a verify must catch it.
  std::optional<uint32_t> corrupt_after_load;
  // The probe is pulled out once the debugger has written this many bytes
  // on the bus: its port disappears in the middle of a load.
  std::optional<uint64_t> unplug_after_bytes;
};

class CortexMDebug {
 public:
  CortexMDebug(CoreBackend& core, DebugFaults faults = {});

  // A MEM-AP transfer of 1, 2 or 4 bytes (value in the low bits). Errors:
  // infrastructure (a bus fault: the DAP turns it into STICKYERR).
  Result<uint32_t> Read(uint32_t address, int size);
  Status Write(uint32_t address, int size, uint32_t value);

  // The debugger has been quiet for a moment: write what is coalesced, and
  // carry out a resume that was held back.
  Status Idle();

  bool halted() const { return halted_; }
  // Bytes that reached the target, and bytes the debugger has written on
  // the bus so far (some may still wait to be coalesced).
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t bytes_accepted() const { return bytes_accepted_; }

 private:
  Result<uint32_t> ReadDebugRegister(uint32_t address, bool& handled);
  Status WriteDebugRegister(uint32_t address, uint32_t value, bool& handled);
  Result<uint32_t> ReadCoreRegister(uint32_t selector);
  Status WriteCoreRegister(uint32_t selector, uint32_t value);
  Status Flush();
  Status ResumeHeld(bool dropped_by_reset);
  Status Reset();
  Status SyncBreakpoints();
  Status PollStopped();
  Status MemoryRead(uint32_t address, uint8_t* out, size_t length);

  CoreBackend& core_;
  DebugFaults faults_;
  bool corrupted_ = false;
  bool halted_ = true;
  bool resume_held_ = false;
  uint32_t dhcsr_control_ = 0;  // C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS
  bool reset_latched_ = true;   // S_RESET_ST: a reset since the last read
  bool retired_latched_ = false;
  uint32_t dcrdr_ = 0, demcr_ = 0, dfsr_ = 0;
  uint32_t fp_enable_ = 0;
  std::array<uint32_t, 8> fp_comp_{};
  std::set<uint32_t> breakpoints_;
  std::map<uint32_t, uint32_t> special_registers_;  // MSP, PSP, CONTROL/... (not in QEMU's stub)
  // Coalesced writes: one contiguous stretch.
  uint32_t pending_address_ = 0;
  std::vector<uint8_t> pending_;
  // Read-ahead of memory (never of peripherals), dropped on any change.
  uint32_t cache_address_ = 0;
  std::vector<uint8_t> cache_;
  uint64_t bytes_written_ = 0;
  uint64_t bytes_accepted_ = 0;
};

}  // namespace hil::virtual_bench
