// The boards hil knows, as a table: adding a board is adding a row.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hil/error.h"

namespace hil {

// How OpenOCD reaches a board: the configuration files of OpenOCD's own
// script library (`openocd -f interface/... -f target/...`).
struct OpenOcdProfile {
  std::string_view interface_config;  // e.g. "interface/stlink.cfg"; empty: none
  std::string_view transport;         // "swd", "jtag", or empty when the interface picks
  std::string_view target_config;     // e.g. "target/stm32l4x.cfg"
  std::string_view target_name;       // what `target names` reports, e.g. "stm32l4x.cpu"
  uint32_t speed_khz;                 // adapter clock
};

// A board profile: what the firmware assumes and how the bench reaches it.
struct BoardSpec {
  std::string_view name;          // as used in plans and on the command line
  std::string_view core;          // e.g. "cortex-m4"
  uint32_t clock_hz;              // core clock the firmware assumes
  std::string_view qemu_machine;  // empty for boards that only exist as hardware
  std::string_view description;
  // Where the image lives (its memory.ld says the same).
  uint32_t flash_base, flash_bytes, ram_base, ram_bytes;
  std::string_view uart;          // the harness's UART and where it reaches the host
  std::string_view trigger_pins;  // inference, layer, timestamp
  OpenOcdProfile openocd;         // empty interface_config: not flashed by OpenOCD (yet)

  bool emulated() const { return !qemu_machine.empty(); }
  bool flashed_by_openocd() const { return !openocd.interface_config.empty(); }
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
