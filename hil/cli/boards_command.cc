#include "boards_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>

#include "hil/boards.h"
#include "hil/virtual_dut.h"

namespace hil::cli {
namespace {

std::string Text(std::string_view view) { return std::string(view); }

// The virtual bench runs on QEMU's -icount clock, not the board's: say so
// wherever a clock is shown.
std::string EmulatedTime(const BoardSpec& board) {
  Result<double> ns = EmulatedNsPerInstruction(Text(board.name));
  if (!ns.ok()) return "emulated (no energy profile: " + ns.error().message() + ")";
  char text[200];
  std::snprintf(text, sizeof text,
                "emulated: every instruction %g ns (QEMU -icount), whatever the clock, so "
                "latencies compare instruction counts, not silicon",
                *ns);
  return text;
}

std::string ClockColumn(const BoardSpec& board) {
  if (!board.emulated()) return std::to_string(board.clock_hz / 1'000'000u) + " MHz";
  Result<double> ns = EmulatedNsPerInstruction(Text(board.name));
  if (!ns.ok()) return "emulated*";
  char text[32];
  std::snprintf(text, sizeof text, "%g ns/instr*", *ns);
  return text;
}

void PrintProfile(const BoardSpec& board) {
  const bool built = std::filesystem::exists(HarnessImagePath(board.name, kDefaultWorkload));
  std::printf("%s: %s\n", Text(board.name).c_str(), Text(board.description).c_str());
  std::printf("  core          %s at %u MHz%s\n", Text(board.core).c_str(),
              board.clock_hz / 1'000'000u, board.emulated() ? " (nominal)" : "");
  if (board.emulated()) {
    std::printf("  time          %s\n", EmulatedTime(board).c_str());
  }
  std::printf("  flash         %u KiB at 0x%08x\n", board.flash_bytes / 1024, board.flash_base);
  std::printf("  RAM           %u KiB at 0x%08x\n", board.ram_bytes / 1024, board.ram_base);
  std::printf("  UART          %s\n", Text(board.uart).c_str());
  std::printf("  trigger pins  %s (inference, layer, timestamp)\n",
              Text(board.trigger_pins).c_str());
  if (board.emulated()) {
    std::printf("  bench         virtual: qemu-system-arm -M %s\n",
                Text(board.qemu_machine).c_str());
  }
  if (board.flashed_by_openocd()) {
    std::printf("  OpenOCD       -f %s%s -f %s (target %s, %u kHz)\n",
                Text(board.openocd.interface_config).c_str(),
                board.openocd.transport.empty()
                    ? ""
                    : (" -c 'transport select " + Text(board.openocd.transport) + "'").c_str(),
                Text(board.openocd.target_config).c_str(), Text(board.openocd.target_name).c_str(),
                board.openocd.speed_khz);
  }
  std::printf("  firmware      %s (%s)\n", HarnessImagePath(board.name, kDefaultWorkload).c_str(),
              built ? "built" : "missing");
}

}  // namespace

void AddBoardsCommand(CLI::App& app, int& exit_code) {
  auto name = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "boards",
      "List the boards hil knows: core, clock, whether QEMU emulates them, and whether their\n"
      "harness firmware is built. With a board's name: its whole profile (memory, UART,\n"
      "trigger pins, OpenOCD configs).");
  command->add_option("board", *name, "Show this board's profile");
  command->callback([name, &exit_code] {
    if (!name->empty()) {
      Result<const BoardSpec*> board = FindBoard(*name);
      if (!board.ok()) {
        std::fprintf(stderr, "hil boards: %s\n", board.error().ToString().c_str());
        exit_code = ExitCodeFor(board.error().kind());
        return;
      }
      PrintProfile(**board);
      exit_code = 0;
      return;
    }
    std::printf("%-15s %-11s %-14s %-10s %-9s %s\n", "BOARD", "CORE", "CLOCK", "BENCH", "FIRMWARE",
                "DESCRIPTION");
    for (const BoardSpec& board : AllBoards()) {
      bool built = std::filesystem::exists(HarnessImagePath(board.name, kDefaultWorkload));
      std::printf("%-15s %-11s %-14s %-10s %-9s %s\n", Text(board.name).c_str(),
                  Text(board.core).c_str(), ClockColumn(board).c_str(),
                  board.emulated() ? "virtual" : "hardware", built ? "built" : "missing",
                  Text(board.description).c_str());
    }
    std::printf(
        "\n* emulated time: the virtual bench runs QEMU with -icount, so every instruction\n"
        "  takes the same time on every virtual board, whatever its nominal clock; their\n"
        "  latencies compare instruction counts, not silicon.\n"
        "Firmware images are looked up in %s (set HIL_FIRMWARE_DIR to change).\n"
        "'hil boards NAME' shows a board's whole profile.\n",
        FirmwareDirectory().c_str());
    exit_code = 0;
  });
}

}  // namespace hil::cli
