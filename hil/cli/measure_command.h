// "hil measure": windows, latency and energy from a recorded trace.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddMeasureCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
