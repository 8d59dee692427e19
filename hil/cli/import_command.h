// "hil import": measurements made by other tools, read into hil's results.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddImportCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
