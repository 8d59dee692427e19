// "hil validate": checks a plan without touching a device.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddValidateCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
