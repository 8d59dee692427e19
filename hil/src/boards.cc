#include "hil/boards.h"

#include <cstdlib>

#ifndef HIL_DEFAULT_FIRMWARE_DIR
#error "the build defines HIL_DEFAULT_FIRMWARE_DIR"
#endif

namespace hil {
namespace {

// Memory from each part's reference manual; UART and pins from the board's
// user manual (ST UM1974, UM1932; Nordic's nRF52840-DK guide). The QEMU
// boards' pins are the emulated trigger words the TCG plugin watches.
constexpr BoardSpec kBoards[] = {
    {"mps2-an386",
     "cortex-m4",
     25'000'000,
     "mps2-an386",
     "Arm MPS2 AN386, Cortex-M4F (QEMU)",
     0x00000000,
     4u << 20,
     0x20000000,
     4u << 20,
     "CMSDK UART0 on a QEMU socket",
     "emulated trigger words",
     {}},
    {"mps2-an500",
     "cortex-m7",
     25'000'000,
     "mps2-an500",
     "Arm MPS2 AN500, Cortex-M7 (QEMU)",
     0x00000000,
     4u << 20,
     0x20000000,
     4u << 20,
     "CMSDK UART0 on a QEMU socket",
     "emulated trigger words",
     {}},
    {"mps3-an547",
     "cortex-m55",
     32'000'000,
     "mps3-an547",
     "Arm MPS3 AN547, Cortex-M55 with MVE (QEMU)",
     0x00000000,
     512u << 10,
     0x20000000,
     512u << 10,
     "CMSDK UART0 on a QEMU socket",
     "emulated trigger words",
     {}},
    {"nucleo-l4r5zi",
     "cortex-m4",
     120'000'000,
     "",
     "ST NUCLEO-L4R5ZI, STM32L4R5 (MLPerf Tiny reference board)",
     0x08000000,
     2u << 20,
     0x20000000,
     640u << 10,
     "LPUART1 PG7/PG8, ST-LINK virtual COM port, 115200 8N1",
     "PC8 PC9 PC10 (CN8)",
     {"interface/stlink.cfg", "", "target/stm32l4x.cfg", "stm32l4x.cpu", 4000}},
    {"nucleo-l496zg",
     "cortex-m4",
     80'000'000,
     "",
     "ST NUCLEO-L496ZG, STM32L496",
     0x08000000,
     1u << 20,
     0x20000000,
     320u << 10,
     "LPUART1 PG7/PG8, ST-LINK virtual COM port, 115200 8N1",
     "PC8 PC9 PC10 (CN8)",
     {"interface/stlink.cfg", "", "target/stm32l4x.cfg", "stm32l4x.cpu", 4000}},
    {"nucleo-f767zi",
     "cortex-m7",
     216'000'000,
     "",
     "ST NUCLEO-F767ZI, STM32F767 (Cortex-M7)",
     0x08000000,
     2u << 20,
     0x20000000,
     512u << 10,
     "USART3 PD8/PD9, ST-LINK virtual COM port, 115200 8N1",
     "PC8 PC9 PC10 (CN8)",
     {"interface/stlink.cfg", "", "target/stm32f7x.cfg", "stm32f7x.cpu", 4000}},
    {"disco-f469ni",
     "cortex-m4",
     180'000'000,
     "",
     "ST 32F469IDISCOVERY, STM32F469",
     0x08000000,
     2u << 20,
     0x20000000,
     320u << 10,
     "USART3 PB10/PB11, ST-LINK virtual COM port, 115200 8N1",
     "PG10 PG11 PG12",
     {"interface/stlink.cfg", "", "target/stm32f4x.cfg", "stm32f4x.cpu", 4000}},
    {"nrf52840dk",
     "cortex-m4",
     64'000'000,
     "",
     "Nordic nRF52840-DK",
     0x00000000,
     1u << 20,
     0x20000000,
     256u << 10,
     "UART0 P0.06/P0.08, J-Link OB virtual COM port, 115200 8N1",
     "P0.03 P0.04 P0.28 (A0 A1 A2)",
     {"interface/jlink.cfg", "swd", "target/nrf52.cfg", "nrf52.cpu", 4000}},
};

constexpr std::string_view kMicrobenches[] = {"mb-dense", "mb-conv1x1", "mb-conv3x3",
                                              "mb-depthwise3x3"};

}  // namespace

std::span<const BoardSpec> AllBoards() { return kBoards; }

Result<const BoardSpec*> FindBoard(std::string_view name) {
  for (const BoardSpec& board : kBoards) {
    if (board.name == name) return &board;
  }
  std::string known;
  for (const BoardSpec& board : kBoards) {
    known += (known.empty() ? "" : ", ") + std::string(board.name);
  }
  return ConfigurationError("unknown board '" + std::string(name) + "'; known boards: " + known);
}

std::span<const std::string_view> MicrobenchWorkloads() { return kMicrobenches; }

std::string FirmwareDirectory() {
  const char* override_dir = std::getenv("HIL_FIRMWARE_DIR");
  if (override_dir != nullptr && *override_dir != '\0') return override_dir;
  return HIL_DEFAULT_FIRMWARE_DIR;
}

std::string HarnessImagePath(std::string_view board, std::string_view workload) {
  return FirmwareDirectory() + "/" + std::string(board) + "/harness-" + std::string(workload) +
         ".elf";
}

}  // namespace hil
