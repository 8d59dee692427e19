// A client of QEMU's gdbstub (the GDB remote serial protocol over TCP):
// what the virtual debug probe needs to reach the emulated core.
//
// QEMU 7.2 on M-profile (protocols.md section 7): registers r0-r15 (0-15),
// xpsr (0x19), d0-d15 (0x1a-0x29), fpscr (0x2a); p/P answer only after
// target.xml was fetched; the stub is all-stop, and any byte sent while the
// core runs stops it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hil/error.h"

namespace hil::virtual_bench {

class GdbRemote {
 public:
  // Connects to the gdbstub's Unix socket (`-gdb unix:PATH,server=on`),
  // retrying until `wait` passes (QEMU may be starting), and sets the
  // session up: features, no-ack mode, target.xml, the initial stop.
  // Errors: infrastructure.
  static Result<std::unique_ptr<GdbRemote>> Connect(const std::string& socket_path,
                                                    std::chrono::milliseconds wait);
  ~GdbRemote();
  GdbRemote(const GdbRemote&) = delete;
  GdbRemote& operator=(const GdbRemote&) = delete;

  // Memory, split into packets QEMU accepts. Errors: infrastructure (the
  // stub answered with an error: a bus fault at that address, or it is gone).
  Result<std::vector<uint8_t>> ReadMemory(uint32_t address, size_t length);
  Status WriteMemory(uint32_t address, const uint8_t* data, size_t length);

  // A register by QEMU's number, little-endian, up to 8 bytes.
  Result<uint64_t> ReadRegister(int number);
  Status WriteRegister(int number, uint64_t value, int bytes);

  // The core must be stopped for everything above.
  bool running() const { return running_; }
  // Stops a running core (^C) and returns the stop reply.
  Result<std::string> Interrupt();
  // Lets the core run; no reply until it stops.
  Status Continue();
  // One instruction; returns the stop reply.
  Result<std::string> Step();
  // The stop reply if the running core stopped by itself (a breakpoint),
  // without waiting.
  Result<std::optional<std::string>> PollStop();
  // `monitor COMMAND` (qRcmd), e.g. "system_reset".
  Status Monitor(const std::string& command);
  // Hardware breakpoint (Z1/z1) on a Thumb instruction.
  Status Breakpoint(uint32_t address, bool insert);

  // Packets sent so far (for the load benchmark).
  uint64_t packets_sent() const { return packets_sent_; }

 private:
  explicit GdbRemote(int fd) : fd_(fd) {}
  Status Send(const std::string& payload);
  // The next packet's payload; console output ('O...') is skipped.
  Result<std::string> Receive(std::chrono::milliseconds timeout);
  Result<std::string> Transact(const std::string& payload,
                               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  Status ReadMore(std::chrono::milliseconds timeout);
  std::optional<std::string> TakePacket();

  int fd_ = -1;
  bool running_ = false;
  bool ack_mode_ = true;
  std::string buffer_;
  size_t max_payload_ = 1024;  // from qSupported's PacketSize
  uint64_t packets_sent_ = 0;
};

}  // namespace hil::virtual_bench
