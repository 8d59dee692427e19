// "hil report" and "hil compare": reports rewritten from results.db, and
// two runs compared.
#pragma once

#include <CLI/CLI.hpp>

namespace hil::cli {

void AddReportCommand(CLI::App& app, int& exit_code);
void AddCompareCommand(CLI::App& app, int& exit_code);

}  // namespace hil::cli
