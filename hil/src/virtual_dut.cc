#include "hil/virtual_dut.h"

#include <thread>

#include "drivers/transport/byte_stream.h"

namespace hil {

Error VirtualDut::Explain(const Error& error) {
  if (machine == nullptr) return error;
  // The link notices a dead QEMU a moment before waitpid does.
  std::optional<flash::QemuExit> exit = machine->WaitForExit(std::chrono::milliseconds(200));
  if (!exit) {
    return error.kind() == ErrorKind::kInfrastructure
               ? Error(error.kind(), error.message() + " (QEMU is still running: the DUT hangs)")
               : error;
  }
  std::string log = machine->LogTail(500);
  return Error(error.kind(), error.message() + " (QEMU " + exit->Describe() +
                                 (log.empty() ? "" : "; QEMU said: " + log) + ")");
}

Result<VirtualDut> BootVirtualDut(const BoardSpec& board, const std::string& firmware,
                                  VirtualDutOptions options) {
  if (!board.emulated()) {
    return ConfigurationError("board '" + std::string(board.name) +
                              "' is hardware only; the virtual bench emulates mps2-an386, "
                              "mps2-an500 and mps3-an547");
  }
  options.qemu.machine = std::string(board.qemu_machine);
  options.qemu.firmware = firmware;
  Result<std::unique_ptr<flash::QemuMachine>> machine = flash::QemuMachine::Start(options.qemu);
  if (!machine.ok()) return machine.error();

  VirtualDut dut;
  dut.machine = std::move(*machine);
  // QEMU creates the socket file just before it listens: retry briefly.
  Result<std::unique_ptr<transport::ByteStream>> stream = InfrastructureError("not connected yet");
  for (int attempt = 0; attempt < 100; ++attempt) {
    stream = transport::OpenByteStream(dut.machine->uart_uri());
    if (stream.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!stream.ok()) return dut.Explain(stream.error());
  dut.link = std::make_unique<dut::DutLink>(std::move(*stream), options.link);
  Result<std::string> mode = dut.link->WaitForBoot();
  if (!mode.ok()) return dut.Explain(mode.error());
  dut.timestamp_mode = *mode;
  return dut;
}

}  // namespace hil
