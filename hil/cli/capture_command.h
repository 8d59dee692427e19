// "hil capture": a raw power capture from one probe to a trace file.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddCaptureCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
