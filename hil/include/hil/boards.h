// The boards hil knows, as a table: adding a board is adding a row.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hil/error.h"

namespace hil {

struct BoardSpec {
  std::string_view name;          // as used in plans and on the command line
  std::string_view core;          // e.g. "cortex-m4"
  uint32_t clock_hz;              // core clock the firmware assumes
  std::string_view qemu_machine;  // empty for boards that only exist as hardware
  std::string_view description;

  bool emulated() const { return !qemu_machine.empty(); }
};

std::span<const BoardSpec> AllBoards();

// Errors: configuration, listing the known boards.
Result<const BoardSpec*> FindBoard(std::string_view name);

// The workloads every emulated board's firmware is built with.
std::span<const std::string_view> MicrobenchWorkloads();
inline constexpr std::string_view kDefaultWorkload = "mb-conv3x3";

// Where the firmware build put the images: $HIL_FIRMWARE_DIR if set,
// otherwise the build tree this hil was built in.
std::string FirmwareDirectory();

// FirmwareDirectory()/BOARD/harness-WORKLOAD.elf
std::string HarnessImagePath(std::string_view board, std::string_view workload);

}  // namespace hil
