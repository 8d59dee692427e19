// A DUT on the virtual bench: QEMU running the harness, and the DutLink to it.
#pragma once

#include <memory>
#include <string>

#include "drivers/dut/dut_link.h"
#include "drivers/flash/qemu_machine.h"
#include "hil/boards.h"
#include "hil/error.h"

namespace hil {

struct VirtualDut {
  std::unique_ptr<flash::QemuMachine> machine;
  std::unique_ptr<dut::DutLink> link;
  std::string timestamp_mode;  // announced at boot: "performance" or "energy"

  // Adds how QEMU ended (if it has) to an error from the link, so a crash
  // or fault is told apart from a hang.
  Error Explain(const Error& error);
};

struct VirtualDutOptions {
  flash::QemuOptions qemu;  // machine and firmware are filled in from the board
  dut::DutLinkOptions link;
};

// Boots firmware on an emulated board and waits for the harness's banner.
// Errors: configuration (board not emulated, image missing), infrastructure.
Result<VirtualDut> BootVirtualDut(const BoardSpec& board, const std::string& firmware,
                                  VirtualDutOptions options = {});

}  // namespace hil
