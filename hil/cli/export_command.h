// "hil export": a hil run written in another tool's layout.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddExportCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
