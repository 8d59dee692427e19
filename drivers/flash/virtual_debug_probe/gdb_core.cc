#include "drivers/flash/virtual_debug_probe/gdb_core.h"

#include <cstring>

namespace hil::virtual_bench {

template <typename Access>
auto GdbCore::Stopped(Access access) -> decltype(access()) {
  if (!remote_->running()) return access();
  Result<std::string> stopped = remote_->Interrupt();
  if (!stopped.ok()) return stopped.error();
  auto result = access();
  Status resumed = remote_->Continue();
  if (!resumed.ok()) return resumed.error();
  return result;
}

Status GdbCore::ReadMemory(uint32_t address, uint8_t* out, size_t length) {
  return Stopped([&]() -> Status {
    Result<std::vector<uint8_t>> bytes = remote_->ReadMemory(address, length);
    if (!bytes.ok()) return bytes.error();
    std::memcpy(out, bytes->data(), length);
    return OkStatus();
  });
}

Status GdbCore::WriteMemory(uint32_t address, const uint8_t* data, size_t length) {
  return Stopped([&]() -> Status { return remote_->WriteMemory(address, data, length); });
}

Result<uint64_t> GdbCore::ReadRegister(int number) {
  return Stopped([&]() -> Result<uint64_t> { return remote_->ReadRegister(number); });
}

Status GdbCore::WriteRegister(int number, uint64_t value, int bytes) {
  return Stopped([&]() -> Status { return remote_->WriteRegister(number, value, bytes); });
}

Status GdbCore::Halt() {
  Result<std::string> stopped = remote_->Interrupt();
  return stopped.ok() ? OkStatus() : Status(stopped.error());
}

Status GdbCore::Resume() { return remote_->Continue(); }

Status GdbCore::StepInstruction() {
  Result<std::string> stepped = remote_->Step();
  return stepped.ok() ? OkStatus() : Status(stepped.error());
}

Result<bool> GdbCore::StoppedByItself() {
  Result<std::optional<std::string>> stop = remote_->PollStop();
  if (!stop.ok()) return stop.error();
  return stop->has_value();
}

Status GdbCore::ResetHalted() {
  if (remote_->running()) HIL_RETURN_IF_ERROR(Halt());
  // QEMU resets the machine and leaves it stopped at the reset vector.
  return remote_->Monitor("system_reset");
}

Status GdbCore::Breakpoint(uint32_t address, bool insert) {
  return Stopped([&]() -> Status { return remote_->Breakpoint(address, insert); });
}

}  // namespace hil::virtual_bench
