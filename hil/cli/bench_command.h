// "hil bench up": a whole virtual bench (QEMU running the harness, the energy
// model, a virtual PPK2) for a developer to point tools at.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddBenchCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
