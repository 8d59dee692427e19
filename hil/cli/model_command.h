// "hil model": TensorFlow Lite models as hil sees them.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddModelCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
