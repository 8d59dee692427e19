// "hil flash": puts one image on a board (OpenOCD), or boots it on an
// emulated one (QEMU).
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddFlashCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
