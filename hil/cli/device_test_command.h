#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

// "hil device-test": runs the on-device test cases of a harness image.
void AddDeviceTestCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
