// The emulated core behind QEMU's gdbstub, as the debug block needs it.
// The stub is all-stop: an access while the core runs stops it, does the
// access and lets it run on.
#pragma once

#include <memory>

#include "drivers/flash/virtual_debug_probe/cortex_m_debug.h"
#include "drivers/flash/virtual_debug_probe/gdb_remote.h"

namespace hil::virtual_bench {

class GdbCore : public CoreBackend {
 public:
  explicit GdbCore(std::unique_ptr<GdbRemote> remote) : remote_(std::move(remote)) {}

  Status ReadMemory(uint32_t address, uint8_t* out, size_t length) override;
  Status WriteMemory(uint32_t address, const uint8_t* data, size_t length) override;
  Result<uint64_t> ReadRegister(int number) override;
  Status WriteRegister(int number, uint64_t value, int bytes) override;
  Status Halt() override;
  Status Resume() override;
  Status StepInstruction() override;
  Result<bool> StoppedByItself() override;
  Status ResetHalted() override;
  Status Breakpoint(uint32_t address, bool insert) override;
  bool running() const override { return remote_->running(); }

  const GdbRemote& remote() const { return *remote_; }

 private:
  // Runs `access` with the core stopped, and lets it run again if it ran.
  template <typename Access>
  auto Stopped(Access access) -> decltype(access());

  std::unique_ptr<GdbRemote> remote_;
};

}  // namespace hil::virtual_bench
