// A Cortex-M core for the virtual debug probe's unit tests: flat memory,
// registers, and a log of what the debug block asked of it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drivers/flash/virtual_debug_probe/cortex_m_debug.h"

namespace hil::virtual_bench {

class FakeCore : public CoreBackend {
 public:
  Status ReadMemory(uint32_t address, uint8_t* out, size_t length) override {
    for (size_t i = 0; i < length; ++i) out[i] = memory[address + static_cast<uint32_t>(i)];
    ++reads;
    return OkStatus();
  }
  Status WriteMemory(uint32_t address, const uint8_t* data, size_t length) override {
    for (size_t i = 0; i < length; ++i) memory[address + static_cast<uint32_t>(i)] = data[i];
    log.push_back("write " + std::to_string(length));
    return OkStatus();
  }
  Result<uint64_t> ReadRegister(int number) override { return registers[number]; }
  Status WriteRegister(int number, uint64_t value, int) override {
    registers[number] = value;
    return OkStatus();
  }
  Status Halt() override {
    running_ = false;
    log.push_back("halt");
    return OkStatus();
  }
  Status Resume() override {
    running_ = true;
    log.push_back("resume");
    return OkStatus();
  }
  Status StepInstruction() override {
    log.push_back("step");
    return OkStatus();
  }
  Result<bool> StoppedByItself() override { return false; }
  Status ResetHalted() override {
    running_ = false;
    log.push_back("reset");
    return OkStatus();
  }
  Status Breakpoint(uint32_t address, bool insert) override {
    log.push_back(std::string(insert ? "break " : "unbreak ") + std::to_string(address));
    return OkStatus();
  }
  bool running() const override { return running_; }

  std::map<uint32_t, uint8_t> memory;
  std::map<int, uint64_t> registers;
  std::vector<std::string> log;
  int reads = 0;
  bool running_ = false;
};

inline uint32_t Word(FakeCore& core, uint32_t address) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(core.memory[address + i]) << (8 * i);
  return value;
}

}  // namespace hil::virtual_bench
