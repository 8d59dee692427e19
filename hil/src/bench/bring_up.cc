#include "hil/bench/bring_up.h"

#include "drivers/dut/running_dut.h"
#include "hil/boards.h"
#include "probes/probe_table.h"

namespace hil::bench {
namespace {

void Step(const BringUpOptions& options, const std::string& text) {
  if (options.progress) options.progress(text);
}

// A bench described without a probe (hil flash --board) has the default.
Result<const probes::ProbeKind*> KindOf(const BenchSpec& bench) {
  if (bench.probe.kind.empty()) return &probes::DefaultProbeKind();
  return probes::ProbeKindNamed(bench.probe.kind);
}

// What both strategies look up first: the board's profile and the probe's
// kind.
struct Parts {
  const BoardSpec* board = nullptr;
  const probes::ProbeKind* kind = nullptr;
};

Result<Parts> PartsOf(const BenchSpec& bench) {
  Result<const BoardSpec*> board = FindBoard(bench.board);
  if (!board.ok()) return board.error();
  Result<const probes::ProbeKind*> kind = KindOf(bench);
  if (!kind.ok()) return kind.error();
  return Parts{*board, *kind};
}

// Opens the power monitor `settings` describe, as `up`'s.
Status OpenProbe(const probes::ProbeSettings& settings, const std::string& what,
                 const BringUpOptions& options, UpBench& up) {
  Result<std::unique_ptr<PowerProbe>> made = probes::MakeProbe(settings);
  if (!made.ok()) return made.error();
  Step(options, "opening the " + what);
  HIL_RETURN_IF_ERROR((*made)->Open());
  up.probe = std::move(*made);
  return OkStatus();
}

void WireTriggers(const BenchSpec& bench, UpBench& up) {
  up.triggers = {WiringOf(bench.inference.input, *up.probe_kind),
                 WiringOf(bench.layer.input, *up.probe_kind),
                 WiringOf(bench.timestamp.input, *up.probe_kind)};
}

// QEMU with the energy model; the bench's flasher puts the image on the
// board, and the virtual twin of its probe kind serves the model's current.
class VirtualStrategy final : public BringUpStrategy {
 public:
  Result<UpBench> Up(const BenchSpec& bench, const BringUpOptions& options) const override {
    Result<Parts> parts = PartsOf(bench);
    if (!parts.ok()) return parts.error();
    const BoardSpec* const board = parts->board;
    const probes::ProbeKind* const kind = parts->kind;
    if (options.firmware.empty()) {
      return ConfigurationError("the virtual bench boots an image: name the firmware");
    }
    VirtualDutOptions dut_options = options.virtual_dut;
    dut_options.flasher = bench.flasher;
    dut_options.energy.probe_kind = kind->name;
    if (options.open_probe && dut_options.energy.probe_socket.empty()) {
      return InfrastructureError("no socket for the virtual " + kind->label +
                                 " (BringUpOptions.virtual_dut.energy.probe_socket)");
    }
    Step(options, "booting " + bench.board + " in QEMU" +
                      (bench.flasher == Flasher::kOpenOcd ? ", flashed through OpenOCD" : ""));
    Result<VirtualDut> booted = options.leave_uart
                                    ? StartVirtualDut(*board, options.firmware, dut_options)
                                    : BootVirtualDut(*board, options.firmware, dut_options);
    if (!booted.ok()) return booted.error();
    UpBench up;
    up.virtual_dut = std::move(*booted);
    up.probe_kind = kind;
    up.truth_path = dut_options.energy.truth_path;
    if (options.open_probe) {
      HIL_RETURN_IF_ERROR(OpenProbe(
          probes::VirtualTwinSettings(*kind, dut_options.energy.probe_socket, bench.supply_mv),
          "virtual " + kind->label, options, up));
    }
    WireTriggers(bench, up);
    return up;
  }
};

// A board on the bench: OpenOCD flashes it (unless flasher: none), the
// host's GPIO resets it and watches trigger lines, the harness answers on
// the bench's UART, and the bench's power monitor opens.
class RealStrategy final : public BringUpStrategy {
 public:
  Result<UpBench> Up(const BenchSpec& bench, const BringUpOptions& options) const override {
    Result<Parts> parts = PartsOf(bench);
    if (!parts.ok()) return parts.error();
    const BoardSpec* const board = parts->board;
    const probes::ProbeKind* const kind = parts->kind;
    UpBench up;
    up.probe_kind = kind;
    if (!options.firmware.empty()) {
      if (bench.flasher == Flasher::kNone) {
        return ConfigurationError("bench " + bench.name +
                                  " has flasher: none: its DUT is flashed outside hil");
      }
      flash::OpenOcdOptions openocd = options.openocd;
      if (!openocd.progress) openocd.progress = options.progress;
      Result<std::unique_ptr<flash::OpenOcdFlasher>> flasher =
          flash::OpenOcdFlasher::Create(OpenOcdConfigFor(bench, *board), openocd);
      if (!flasher.ok()) return flasher.error();
      HIL_RETURN_IF_ERROR((*flasher)->Flash(options.firmware));
    }
    if (options.watch_gpio && bench.gpio.configured()) {
      HIL_RETURN_IF_ERROR(SetUpHostGpio(bench, options, up));
    }
    if (options.connect) {
      Step(options, "connecting to the harness on " + bench.uart);
      Result<std::unique_ptr<dut::DutLink>> link =
          dut::ConnectRunningDut(bench.uart, options.connect_timeout);
      if (!link.ok()) return link.error();
      up.real_link = std::move(*link);
    }
    if (options.open_probe) {
      HIL_RETURN_IF_ERROR(OpenProbe(ProbeSettingsOf(bench),
                                    kind->label + " at " + bench.probe.connect, options, up));
    }
    WireTriggers(bench, up);
    return up;
  }

 private:
  static Status SetUpHostGpio(const BenchSpec& bench, const BringUpOptions& options, UpBench& up) {
    Step(options, "opening GPIO chip " + bench.gpio.chip);
    Result<std::unique_ptr<gpio::GpioChip>> opened = gpio::GpioChip::Open(bench.gpio.chip);
    if (!opened.ok()) return opened.error();
    up.host_gpio = std::move(*opened);
    if (!bench.gpio.reset.empty()) {
      // NRST is active low: held high, and pulsed to restart a DUT that
      // nothing else restarted (OpenOCD's `reset` already did).
      Result<size_t> reset = up.host_gpio->AddOutput(bench.gpio.reset, true);
      if (!reset.ok()) return reset.error();
      if (options.firmware.empty() || bench.flasher == Flasher::kNone) {
        Step(options, "resetting the DUT");
        HIL_RETURN_IF_ERROR(up.host_gpio->Pulse(*reset, false, std::chrono::milliseconds(10)));
      }
    }
    std::vector<std::string> watched;
    const std::pair<const std::string*, measure::Role> roles[] = {
        {&bench.inference.input, measure::Role::kInference},
        {&bench.layer.input, measure::Role::kLayer},
        {&bench.timestamp.input, measure::Role::kTimestamp}};
    const std::string* lines[] = {&bench.gpio.inference, &bench.gpio.layer, &bench.gpio.timestamp};
    for (size_t i = 0; i < 3; ++i) {
      if (*roles[i].first != "gpio") continue;
      watched.push_back(*lines[i]);
      up.host_roles.push_back(roles[i].second);
    }
    return up.host_gpio->WatchEdges(watched);
  }
};

}  // namespace

dut::DutLink* UpBench::link() const {
  if (virtual_dut) return virtual_dut->link.get();
  return real_link.get();
}

Error UpBench::Explain(const Error& error) {
  return virtual_dut ? virtual_dut->Explain(error) : error;
}

Result<std::vector<measure::TruthWindow>> UpBench::GroundTruth() {
  if (truth_path.empty()) return InfrastructureError("this bench keeps no ground truth");
  if (virtual_dut) virtual_dut->machine->Stop();  // the plugin has written every record
  return measure::ReadGroundTruth(truth_path);
}

const BringUpStrategy& StrategyFor(BenchKind kind) {
  static const VirtualStrategy kVirtual;
  static const RealStrategy kReal;
  if (kind == BenchKind::kReal) return kReal;
  return kVirtual;
}

Result<UpBench> BringUp(const BenchSpec& bench, const BringUpOptions& options) {
  return StrategyFor(bench.kind).Up(bench, options);
}

measure::TriggerWiring WiringOf(const std::string& input, const probes::ProbeKind& kind) {
  measure::TriggerWiring wiring;
  if (input == "none") return wiring;
  if (input == "gpio") {
    wiring.source = measure::EdgeSource::kHost;
    return wiring;
  }
  wiring.line = static_cast<uint8_t>(input[1] - '0');
  wiring.source = kind.edges == probes::EdgeReport::kEvents ? measure::EdgeSource::kEvents
                                                            : measure::EdgeSource::kSampled;
  return wiring;
}

}  // namespace hil::bench
