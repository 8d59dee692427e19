// "hil boards": the boards hil can build for and emulate.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddBoardsCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
