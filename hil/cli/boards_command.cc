#include "boards_command.h"

#include <cstdio>
#include <filesystem>

#include "hil/boards.h"

namespace hil::cli {

void AddBoardsCommand(CLI::App& app, int& exit_code) {
  CLI::App* command =
      app.add_subcommand("boards",
                         "List the boards hil knows: core, clock, whether QEMU emulates them, and "
                         "whether their harness firmware is built.");
  command->callback([&exit_code] {
    std::printf("%-15s %-11s %8s  %-10s %-9s %s\n", "BOARD", "CORE", "MHZ", "BENCH", "FIRMWARE",
                "DESCRIPTION");
    for (const BoardSpec& board : AllBoards()) {
      bool built = std::filesystem::exists(HarnessImagePath(board.name, kDefaultWorkload));
      std::printf("%-15s %-11s %8u  %-10s %-9s %s\n", std::string(board.name).c_str(),
                  std::string(board.core).c_str(), board.clock_hz / 1'000'000u,
                  board.emulated() ? "virtual" : "hardware", built ? "built" : "missing",
                  std::string(board.description).c_str());
    }
    std::printf("\nFirmware images are looked up in %s (set HIL_FIRMWARE_DIR to change).\n",
                FirmwareDirectory().c_str());
    exit_code = 0;
  });
}

}  // namespace hil::cli
