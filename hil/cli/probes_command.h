// "hil probes": the power monitors attached to this host.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddProbesCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
