#include "hil/bench/bench_check.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "drivers/gpio/gpio_lines.h"
#include "hil/bench/bring_up.h"
#include "hil/virtual_dut.h"
#include "probes/probe_table.h"

namespace hil::bench {
namespace {

PartHealth Healthy(const std::string& part, const std::string& detail) {
  return {part, true, detail};
}
PartHealth Missing(const std::string& part, const Error& error) {
  return {part, false, error.message()};
}

std::string Mhz(uint32_t hz) { return std::to_string(hz / 1'000'000u) + " MHz"; }

PartHealth CheckBoard(const BoardSpec& board) {
  const std::string image = HarnessImagePath(board.name, kDefaultWorkload);
  const std::string about =
      std::string(board.name) + ": " + std::string(board.core) + " at " + Mhz(board.clock_hz);
  if (!std::filesystem::exists(image)) {
    return Missing("board", InfrastructureError(about + ", but its harness is not built (" + image +
                                                "); build hil with the firmware"));
  }
  return Healthy("board", about + ", harness built");
}

// What an open power monitor says about itself.
PartHealth ProbeHealth(const PowerProbe& probe, const std::string& what) {
  const ProbeInfo& info = probe.info();
  std::ostringstream detail;
  detail << what << " " << info.kind;
  if (!info.model.empty()) detail << " (" << info.model << ")";
  if (!info.serial.empty()) detail << " serial " << info.serial;
  detail << " at " << info.uri << ", " << info.sample_rate_hz / 1000.0 << " kS/s";
  return Healthy("power monitor", detail.str());
}

// Opens the power monitor and reads what it says about itself.
PartHealth CheckPowerMonitor(const probes::ProbeSettings& settings, const std::string& what) {
  Result<std::unique_ptr<PowerProbe>> made = probes::MakeProbe(settings);
  if (!made.ok()) return Missing("power monitor", made.error());
  Status opened = (*made)->Open();
  if (!opened.ok()) return Missing("power monitor", opened.error());
  return ProbeHealth(**made, what);
}

PartHealth CheckDutName(dut::DutLink& link, const std::string& where) {
  Result<std::string> name = link.Name();
  if (!name.ok()) return Missing("DUT UART", name.error());
  return Healthy("DUT UART", "the harness at " + where + " answers name%: " + *name);
}

void CheckDebugProbe(const BenchSpec& bench, const BoardSpec& board, const CheckOptions& options,
                     BenchHealth& health) {
  if (options.progress) options.progress("examining the target through OpenOCD");
  flash::OpenOcdOptions openocd;
  openocd.binary = options.openocd_binary;
  openocd.timeout = options.openocd_timeout;
  openocd.attempts = 1;
  Result<std::unique_ptr<flash::OpenOcdFlasher>> flasher =
      flash::OpenOcdFlasher::Create(OpenOcdConfigFor(bench, board), openocd);
  if (!flasher.ok()) {
    health.parts.push_back(Missing("debug probe", flasher.error()));
  } else {
    Result<std::string> examined = (*flasher)->Examine();
    health.parts.push_back(examined.ok() ? Healthy("debug probe", *examined)
                                         : Missing("debug probe", examined.error()));
  }
}

void CheckReal(const BenchSpec& bench, const BoardSpec& board, const CheckOptions& options,
               BenchHealth& health) {
  const auto step = [&](const std::string& text) {
    if (options.progress) options.progress(text);
  };
  if (bench.flasher == Flasher::kNone) {
    health.parts.push_back(Healthy("flasher", "none: the DUT is flashed outside hil"));
  } else {
    CheckDebugProbe(bench, board, options, health);
  }

  // The UART and the power monitor are each brought up on their own, as a
  // run brings them up, so that every missing part is reported, not only
  // the first.
  step("asking the DUT for its name over " + bench.uart);
  BringUpOptions link_only;
  link_only.connect_timeout = options.dut_timeout;
  Result<UpBench> linked = BringUp(bench, link_only);
  health.parts.push_back(linked.ok() ? CheckDutName(*linked->link(), bench.uart)
                                     : Missing("DUT UART", linked.error()));

  step("opening the " + bench.probe.kind);
  BringUpOptions probe_only;
  probe_only.connect = false;
  probe_only.open_probe = true;
  Result<UpBench> probed = BringUp(bench, probe_only);
  health.parts.push_back(probed.ok() ? ProbeHealth(*probed->probe, "the")
                                     : Missing("power monitor", probed.error()));

  if (bench.gpio.configured()) {
    step("opening GPIO chip " + bench.gpio.chip);
    Result<std::unique_ptr<gpio::GpioChip>> chip = gpio::GpioChip::Open(bench.gpio.chip);
    if (!chip.ok()) {
      health.parts.push_back(Missing("host GPIO", chip.error()));
      return;
    }
    std::string lines;
    for (const std::string& line :
         {bench.gpio.inference, bench.gpio.layer, bench.gpio.timestamp, bench.gpio.reset}) {
      if (line.empty()) continue;
      Status has = (*chip)->HasLine(line);
      if (!has.ok()) {
        health.parts.push_back(Missing("host GPIO", has.error()));
        return;
      }
      lines += (lines.empty() ? "" : ", ") + line;
    }
    health.parts.push_back(
        Healthy("host GPIO", (*chip)->name() + " (" + (*chip)->label() + ") has " + lines));
  }
}

void CheckVirtual(const BenchSpec& bench, const BoardSpec& board, const CheckOptions& options,
                  BenchHealth& health) {
  std::string folder = (std::filesystem::temp_directory_path() / "hil-check-XXXXXX").string();
  if (::mkdtemp(folder.data()) == nullptr) {
    health.parts.push_back(
        Missing("QEMU", InfrastructureError("cannot create a temporary folder")));
    return;
  }
  // The bench is brought up as a run brings it up; its probe is opened
  // apart, so that its health is reported on its own.
  BringUpOptions up_options;
  up_options.firmware = HarnessImagePath(board.name, kDefaultWorkload);
  up_options.progress = options.progress;
  VirtualDutOptions& dut_options = up_options.virtual_dut;
  dut_options.energy.profile = bench.board;
  dut_options.energy.truth_path = folder + "/truth.jsonl";
  dut_options.energy.probe_socket = folder + "/probe.sock";
  const std::string& image = up_options.firmware;
  {
    Result<UpBench> up = BringUp(bench, up_options);
    if (!up.ok()) {
      health.parts.push_back(Missing("QEMU", up.error()));
    } else {
      const VirtualDut* booted = &*up->virtual_dut;
      health.parts.push_back(Healthy("QEMU", "qemu-system-arm -M " +
                                                 std::string(board.qemu_machine) +
                                                 " with the energy model (pid " +
                                                 std::to_string(booted->machine->pid()) + ")"));
      if (booted->flasher != nullptr) {
        // OpenOCD's own words on the core it examined.
        const std::string log = booted->flasher->last_output();
        const size_t at = log.find("processor detected");
        const size_t from = at == std::string::npos ? 0 : log.rfind(']', at);
        const std::string core = at == std::string::npos || from == std::string::npos
                                     ? std::string()
                                     : " (" + log.substr(from + 2, at + 18 - from - 2) + ")";
        health.parts.push_back(Healthy("debug probe",
                                       "OpenOCD examined the core through the virtual debug "
                                       "probe" +
                                           core + ", loaded and verified " + image));
      }
      health.parts.push_back(CheckDutName(*booted->link, booted->machine->uart_uri()));
      health.parts.push_back(
          CheckPowerMonitor(probes::VirtualTwinSettings(
                                *up->probe_kind, dut_options.energy.probe_socket, bench.supply_mv),
                            "the virtual"));
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
}

}  // namespace

bool BenchHealth::healthy() const {
  for (const PartHealth& part : parts) {
    if (!part.healthy) return false;
  }
  return !parts.empty();
}

std::string BenchHealth::MissingParts() const {
  std::string missing;
  for (const PartHealth& part : parts) {
    if (!part.healthy) missing += (missing.empty() ? "" : ", ") + part.part;
  }
  return missing;
}

BenchHealth CheckBench(const BenchSpec& bench, const CheckOptions& options) {
  BenchHealth health{bench.name, std::string(ToText(bench.kind)), bench.board, {}};
  Result<const BoardSpec*> board = FindBoard(bench.board);
  if (!board.ok()) {
    health.parts.push_back(Missing("board", board.error()));
    return health;
  }
  health.parts.push_back(CheckBoard(**board));
  if (bench.kind == BenchKind::kReal) {
    CheckReal(bench, **board, options, health);
  } else {
    CheckVirtual(bench, **board, options, health);
  }
  return health;
}

}  // namespace hil::bench
