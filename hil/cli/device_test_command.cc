#include "device_test_command.h"

#include <cstdio>
#include <optional>

#include "drivers/dut/running_dut.h"
#include "hil/bench/bring_up.h"
#include "hil/boards.h"
#include "hil/run/device_tests.h"
#include "hil/run/exports.h"
#include "hil/virtual_dut.h"

namespace hil::cli {
namespace {

struct DeviceTestArguments {
  std::string board = "mps2-an386";
  std::string firmware, connect, filter, junit;
  bool also_run_disabled = false;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil device-test: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

int RunDeviceTestCommand(const DeviceTestArguments& arguments) {
  std::optional<bench::UpBench> virtual_bench;
  std::unique_ptr<dut::DutLink> connected;
  dut::DutLink* link = nullptr;
  if (!arguments.connect.empty()) {
    Result<std::unique_ptr<dut::DutLink>> opened = dut::ConnectRunningDut(arguments.connect);
    if (!opened.ok()) return Fail(opened.error());
    connected = std::move(*opened);
    link = connected.get();
  } else {
    Result<const BoardSpec*> board = FindBoard(arguments.board);
    if (!board.ok()) return Fail(board.error());
    const std::string firmware = arguments.firmware.empty()
                                     ? HarnessImagePath(arguments.board, "device-tests")
                                     : arguments.firmware;
    std::fprintf(stderr, "hil device-test: booting %s on %s\n", firmware.c_str(),
                 arguments.board.c_str());
    bench::BenchSpec spec = bench::DefaultVirtualBench();
    spec.board = arguments.board;
    bench::BringUpOptions options;
    options.firmware = firmware;
    Result<bench::UpBench> up = bench::BringUp(spec, options);
    if (!up.ok()) return Fail(up.error());
    virtual_bench = std::move(*up);
    link = virtual_bench->link();
  }
  Result<std::vector<run::DeviceTestResult>> results =
      run::RunDeviceTests(*link, arguments.filter, arguments.also_run_disabled);
  if (!results.ok())
    return Fail(virtual_bench ? virtual_bench->Explain(results.error()) : results.error());
  std::printf("%s", run::DeviceTestReport(*results).c_str());
  if (!arguments.junit.empty()) {
    const Status written = run::WriteAtomically(
        arguments.junit,
        run::DeviceTestJUnit(*results,
                             arguments.connect.empty() ? arguments.board : arguments.connect));
    if (!written.ok()) return Fail(written.error());
  }
  for (const run::DeviceTestResult& r : *results) {
    if (r.run && !r.passed) return ExitCodeFor(ErrorKind::kTestFailure);
  }
  return 0;
}

}  // namespace

void AddDeviceTestCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<DeviceTestArguments>();
  CLI::App* command = app.add_subcommand(
      "device-test",
      "Run the on-device test cases of a harness image (HIL_TEST in\n"
      "firmware/harness/device_test.h) and report them as googletest does, with the\n"
      "DUT's failure messages and lines; --junit writes them as JUnit XML.\n\n"
      "Examples:\n"
      "  hil device-test                                  the NN runtime's tests on the M4\n"
      "  hil device-test --board mps3-an547 --filter 'Float.*'\n"
      "  hil device-test --also-run-disabled --junit device.xml\n"
      "  hil device-test --connect serial:/dev/ttyACM0@115200   a real board\n\n"
      "Exit codes: 0 every test passed, 1 a test failed, 2 a bad board or image,\n"
      "3 the DUT or its link failed.");
  command->add_option("--board", arguments->board, "Board to boot (see 'hil boards')")
      ->capture_default_str();
  command->add_option("--firmware", arguments->firmware,
                      "ELF with HIL_TEST cases (default: the build's harness-device-tests.elf)");
  command->add_option("--connect", arguments->connect,
                      "A DUT that already runs such an image, e.g. serial:/dev/ttyACM0@115200");
  command->add_option("--filter", arguments->filter,
                      "googletest filter: 'Suite.*', 'A.*:B.*', '*-Float.*'");
  command->add_flag("--also-run-disabled", arguments->also_run_disabled,
                    "Also run tests whose name starts with DISABLED_");
  command->add_option("--junit", arguments->junit, "Write JUnit XML here");
  command->callback([arguments, &exit_code] { exit_code = RunDeviceTestCommand(*arguments); });
}

}  // namespace hil::cli
