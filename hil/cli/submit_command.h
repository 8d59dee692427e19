#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

// hil submit, hil jobs, hil cancel: clients of hild's API.
void AddDaemonCommands(CLI::App& app, int& exit_code);

}  // namespace hil::cli
