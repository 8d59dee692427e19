#include "hil/boards.h"

#include <cstdlib>

#ifndef HIL_DEFAULT_FIRMWARE_DIR
#error "the build defines HIL_DEFAULT_FIRMWARE_DIR"
#endif

namespace hil {
namespace {

constexpr BoardSpec kBoards[] = {
    {"mps2-an386", "cortex-m4", 25'000'000, "mps2-an386", "Arm MPS2 AN386, Cortex-M4F (QEMU)"},
    {"mps2-an500", "cortex-m7", 25'000'000, "mps2-an500", "Arm MPS2 AN500, Cortex-M7 (QEMU)"},
    {"mps3-an547", "cortex-m55", 32'000'000, "mps3-an547",
     "Arm MPS3 AN547, Cortex-M55 with MVE (QEMU)"},
    {"nucleo-l4r5zi", "cortex-m4", 120'000'000, "",
     "ST NUCLEO-L4R5ZI, STM32L4R5 (MLPerf Tiny reference board)"},
    {"nrf52840dk", "cortex-m4", 64'000'000, "", "Nordic nRF52840-DK"},
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
