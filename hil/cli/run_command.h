// "hil run": runs a test plan locally.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddRunCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
