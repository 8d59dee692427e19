// One case on a real bench: the firmware flashed by OpenOCD (or already on
// the DUT), the harness reached over the bench's UART, the bench's power
// monitor, and the triggers wired as the bench file says (probe logic
// inputs or host GPIO).
#include "hil/bench/bring_up.h"
#include "hil/run/case_runner.h"
#include "measure_case.h"

namespace hil::run {

Status RunRealCase(const plan::Plan& plan, const plan::Case& c, const Firmware& firmware,
                   const bench::BenchSpec& bench, CaseResult& result, const Progress& progress) {
  if (c.board != bench.board) {
    return ConfigurationError("case " + c.id + " is for board " + c.board + ", but bench " +
                              bench.name + " has a " + bench.board +
                              "; exclude the case or run it on a bench with that board");
  }
  bench::BringUpOptions options;
  // flasher: none: the DUT already runs the harness.
  if (bench.flasher == Flasher::kOpenOcd) options.firmware = firmware.elf;
  options.open_probe = true;
  options.watch_gpio = true;
  options.openocd.attempts = 2;
  options.progress = progress;
  Result<bench::UpBench> up = bench::BringUp(bench, options);
  if (!up.ok()) return up.error();
  return MeasureCase(plan, c, *up, result, progress);
}

}  // namespace hil::run
