// hil: the command-line front of the hardware-in-the-loop test framework.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "bench_command.h"
#include "boards_command.h"
#include "capture_command.h"
#include "device_test_command.h"
#include "dut_command.h"
#include "export_command.h"
#include "flash_command.h"
#include "hil/error.h"
#include "import_command.h"
#include "measure_command.h"
#include "model_command.h"
#include "optimize_command.h"
#include "probes_command.h"
#include "report_command.h"
#include "run_command.h"
#include "submit_command.h"
#include "validate_command.h"

#ifndef HIL_VERSION
#error "the build defines HIL_VERSION"
#endif

int main(int argc, char** argv) {
  CLI::App app("hil " HIL_VERSION
               ": hardware-in-the-loop latency and energy tests for ML on Cortex-M.\n\n"
               "Exit codes: 0 success, 1 a test or expectation failed, 2 configuration or usage\n"
               "error, 3 infrastructure error (bench, probe, flashing, DUT link).",
               "hil");
  app.set_version_flag("--version", "hil " HIL_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  hil::cli::AddBenchCommand(app, exit_code);
  hil::cli::AddBoardsCommand(app, exit_code);
  hil::cli::AddCaptureCommand(app, exit_code);
  hil::cli::AddDutCommand(app, exit_code);
  hil::cli::AddDeviceTestCommand(app, exit_code);
  hil::cli::AddExportCommand(app, exit_code);
  hil::cli::AddFlashCommand(app, exit_code);
  hil::cli::AddImportCommand(app, exit_code);
  hil::cli::AddMeasureCommand(app, exit_code);
  hil::cli::AddModelCommand(app, exit_code);
  hil::cli::AddOptimizeCommand(app, exit_code);
  hil::cli::AddProbesCommand(app, exit_code);
  hil::cli::AddReportCommand(app, exit_code);
  hil::cli::AddCompareCommand(app, exit_code);
  hil::cli::AddRunCommand(app, exit_code);
  hil::cli::AddDaemonCommands(app, exit_code);
  hil::cli::AddValidateCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return hil::ExitCodeFor(hil::ErrorKind::kConfiguration);
  }
  return exit_code;
}
