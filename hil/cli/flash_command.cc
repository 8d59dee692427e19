#include "flash_command.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "drivers/flash/openocd.h"
#include "hil/bench/bench_spec.h"
#include "hil/bench/bring_up.h"
#include "hil/boards.h"
#include "hil/virtual_dut.h"

namespace hil::cli {
namespace {

struct FlashArguments {
  std::string image;
  std::string board;
  std::string serial;
  std::string bench_file;
  std::string bench;
  uint32_t speed_khz = 0;
  double timeout_s = 60;
  std::string log_dir;
};

int Fail(const Error& error) {
  std::fprintf(stderr, "hil flash: %s\n", error.ToString().c_str());
  return ExitCodeFor(error.kind());
}

int Flash(const FlashArguments& arguments) {
  bench::BenchSpec spec;
  if (!arguments.bench_file.empty()) {
    Result<bench::BenchSpec> named = bench::ReadNamedBench(arguments.bench_file, arguments.bench);
    if (!named.ok()) return Fail(named.error());
    spec = std::move(*named);
    if (!arguments.board.empty() && arguments.board != spec.board) {
      return Fail(ConfigurationError("--board " + arguments.board + ", but bench " + spec.name +
                                     " has a " + spec.board));
    }
  } else if (arguments.board.empty()) {
    return Fail(
        ConfigurationError("name the board: --board NAME (see 'hil boards'), or a bench "
                           "with --bench-file FILE --bench NAME"));
  } else {
    spec.name = "command line";
    spec.kind = BenchKind::kReal;
    spec.board = arguments.board;
  }
  if (!arguments.serial.empty()) spec.debug.adapter_serial = arguments.serial;
  if (arguments.speed_khz != 0) spec.debug.speed_khz = arguments.speed_khz;
  Result<const BoardSpec*> board = FindBoard(spec.board);
  if (!board.ok()) return Fail(board.error());
  const bool emulated = (*board)->emulated();
  if (emulated) {
    // The virtual bench has no flash that outlives QEMU: OpenOCD flashing
    // the image through the virtual debug probe until the harness answers is
    // what flashing proves there.
    spec.kind = BenchKind::kVirtual;
    spec.flasher = Flasher::kOpenOcd;
    std::fprintf(stderr, "flashing %s onto %s in QEMU through OpenOCD\n", arguments.image.c_str(),
                 spec.board.c_str());
  }
  bench::BringUpOptions options;
  options.firmware = arguments.image;
  options.connect = false;  // a real DUT's UART is not needed to flash it
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(arguments.timeout_s * 1000));
  options.virtual_dut.openocd.timeout = timeout;
  options.openocd.timeout = timeout;
  options.openocd.work_dir = arguments.log_dir;
  options.progress = [](const std::string& step) { std::fprintf(stderr, "%s\n", step.c_str()); };
  Result<bench::UpBench> up = bench::BringUp(spec, options);
  if (!up.ok()) return Fail(up.error());
  if (emulated) {
    std::printf("%s flashed to %s (QEMU) through OpenOCD, verified and started; harness mode %s\n",
                arguments.image.c_str(), spec.board.c_str(),
                up->virtual_dut->timestamp_mode.c_str());
  } else {
    std::printf("%s flashed to %s, verified and started\n", arguments.image.c_str(),
                spec.board.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddFlashCommand(CLI::App& app, int& exit_code) {
  auto arguments = std::make_shared<FlashArguments>();
  CLI::App* command = app.add_subcommand(
      "flash",
      "Flash one image: OpenOCD writes, verifies and starts it on a hardware board (its\n"
      "profile's interface and target configs, the probe picked by --serial); on an emulated\n"
      "board, OpenOCD loads it into QEMU through the virtual debug probe and hil waits for\n"
      "the harness to answer.\n\n"
      "Examples:\n"
      "  hil flash --board nucleo-l4r5zi --serial 0026003A3438510B34313939 fw.elf\n"
      "  hil flash --bench-file lab.yaml --bench l4r5-ppk2 fw.elf\n\n"
      "Exit codes: 0 flashed, 2 a bad argument or OpenOCD config, 3 no probe, target not\n"
      "responding, verify failed or OpenOCD hung (each named in the message).");
  command->add_option("image", arguments->image, "The ELF to flash")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--board", arguments->board, "Board profile (see 'hil boards')");
  command->add_option("--serial", arguments->serial,
                      "The debug probe's USB serial number, when several are attached");
  command
      ->add_option("--bench-file", arguments->bench_file,
                   "Take board, probe serial and OpenOCD settings from a bench file")
      ->check(CLI::ExistingFile);
  command->add_option("--bench", arguments->bench, "Which bench of --bench-file");
  command->add_option("--speed", arguments->speed_khz, "Adapter clock in kHz (default: profile)");
  command->add_option("--timeout", arguments->timeout_s, "Seconds before a hung OpenOCD is killed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--log-dir", arguments->log_dir,
                      "Keep OpenOCD's config and logs here (default: removed)");
  command->callback([arguments, &exit_code] { exit_code = Flash(*arguments); });
}

}  // namespace hil::cli
