// "hil optimize": searches a network's deployments for the cheapest one that
// still meets its limits, measuring on the bench (hil/optimize/search.h).
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddOptimizeCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
