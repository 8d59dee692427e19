// "hil dut": boot a harness on a board (or reach one that runs) and talk to it.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

// Registers the subcommand; its callback sets exit_code.
void AddDutCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
