// One case on a real bench: the firmware flashed by OpenOCD (or already on
// the DUT), the harness reached over the bench's UART, the bench's power
// monitor, and the triggers wired as the bench file says (probe logic
// inputs or host GPIO).
#include <thread>

#include "case_bench.h"
#include "drivers/dut/running_dut.h"
#include "drivers/flash/openocd.h"
#include "hil/run/case_runner.h"
#include "probes/probe_table.h"

namespace hil::run {
namespace {

using std::chrono::milliseconds;

}  // namespace

Status RunRealCase(const plan::Plan& plan, const plan::Case& c, const Firmware& firmware,
                   const bench::BenchSpec& bench, CaseResult& result, const Progress& progress) {
  const auto step = [&](const std::string& text) {
    if (progress) progress(text);
  };
  if (c.board != bench.board) {
    return ConfigurationError("case " + c.id + " is for board " + c.board + ", but bench " +
                              bench.name + " has a " + bench.board +
                              "; exclude the case or run it on a bench with that board");
  }
  Result<const BoardSpec*> board = FindBoard(c.board);
  if (!board.ok()) return board.error();

  if (bench.flasher == Flasher::kOpenOcd) {
    flash::OpenOcdOptions options;
    options.attempts = 2;
    options.progress = step;
    Result<std::unique_ptr<flash::OpenOcdFlasher>> flasher =
        flash::OpenOcdFlasher::Create(bench::OpenOcdConfigFor(bench, **board), options);
    if (!flasher.ok()) return flasher.error();
    HIL_RETURN_IF_ERROR((*flasher)->Flash(firmware.elf));
  }

  std::unique_ptr<gpio::GpioChip> chip;
  std::vector<measure::Role> host_roles;
  if (bench.gpio.configured()) {
    step("opening GPIO chip " + bench.gpio.chip);
    Result<std::unique_ptr<gpio::GpioChip>> opened = gpio::GpioChip::Open(bench.gpio.chip);
    if (!opened.ok()) return opened.error();
    chip = std::move(*opened);
    if (!bench.gpio.reset.empty()) {
      // NRST is active low: held high, and pulsed to restart a DUT that
      // nothing else restarted (OpenOCD's `reset` already did).
      Result<size_t> reset = chip->AddOutput(bench.gpio.reset, true);
      if (!reset.ok()) return reset.error();
      if (bench.flasher == Flasher::kNone) {
        step("resetting the DUT");
        HIL_RETURN_IF_ERROR(chip->Pulse(*reset, false, std::chrono::milliseconds(10)));
      }
    }
    std::vector<std::string> watched;
    const std::pair<const std::string*, measure::Role> roles[] = {
        {&bench.inference_trigger, measure::Role::kInference},
        {&bench.layer_trigger, measure::Role::kLayer},
        {&bench.timestamp_trigger, measure::Role::kTimestamp}};
    const std::string* lines[] = {&bench.gpio.inference, &bench.gpio.layer, &bench.gpio.timestamp};
    for (size_t i = 0; i < 3; ++i) {
      if (*roles[i].first != "gpio") continue;
      watched.push_back(*lines[i]);
      host_roles.push_back(roles[i].second);
    }
    HIL_RETURN_IF_ERROR(chip->WatchEdges(watched));
  }

  step("connecting to the harness on " + bench.uart);
  Result<std::unique_ptr<dut::DutLink>> link =
      dut::ConnectRunningDut(bench.uart, milliseconds(10000));
  if (!link.ok()) return link.error();

  Result<const probes::ProbeKind*> kind = probes::ProbeKindNamed(bench.probe.kind);
  if (!kind.ok()) return kind.error();
  Result<std::unique_ptr<PowerProbe>> probe = probes::MakeProbe(bench::ProbeSettingsOf(bench));
  if (!probe.ok()) return probe.error();
  step("opening the " + (*kind)->label + " at " + bench.probe.connect);
  HIL_RETURN_IF_ERROR((*probe)->Open());

  CaseBench measured;
  measured.link = link->get();
  measured.probe = probe->get();
  measured.triggers = {WiringOf(bench.inference_trigger, **kind),
                       WiringOf(bench.layer_trigger, **kind),
                       WiringOf(bench.timestamp_trigger, **kind)};
  measured.host_gpio = host_roles.empty() ? nullptr : chip.get();
  measured.host_roles = host_roles;
  return MeasureCase(plan, c, measured, result, progress);
}

}  // namespace hil::run
