// A DUT on the virtual bench: QEMU running the harness, and the DutLink to it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "drivers/dut/dut_link.h"
#include "drivers/flash/openocd.h"
#include "drivers/flash/qemu_machine.h"
#include "drivers/flash/virtual_debug_probe/virtual_debug_probe.h"
#include "hil/bench_kinds.h"
#include "hil/boards.h"
#include "hil/error.h"

namespace hil {

struct VirtualDut {
  std::unique_ptr<flash::QemuMachine> machine;
  std::unique_ptr<dut::DutLink> link;
  std::string timestamp_mode;  // announced at boot: "performance" or "energy"
  // With the OpenOCD flasher: the virtual debug probe in front of QEMU, and
  // the flasher that talks to it.
  std::unique_ptr<virtual_bench::VirtualDebugProbe> debug_probe;
  std::unique_ptr<flash::OpenOcdFlasher> flasher;

  // Adds how QEMU ended (if it has) to an error from the link, so a crash
  // or fault is told apart from a hang.
  Error Explain(const Error& error);
  // The same for a flashing error: only QEMU's end is worth adding.
  Error ExplainFlash(const Error& error);

  // Flashes another image onto the running board through OpenOCD, as on a
  // real bench (QEMU keeps running), and waits for the harness to boot it.
  // Errors: configuration (not started with the OpenOCD flasher), and as
  // flash::OpenOcdError.
  Status Reflash(const std::string& firmware);
};

// The energy model: QEMU runs with hil's TCG plugin, which writes the exact
// instructions, time and energy of every measurement window (the ground
// truth) as JSON lines. probes/virtual/energy_profiles.yaml documents it.
struct EnergyModelOptions {
  std::string profile;       // e.g. "mps2-an386"; empty: no energy model
  std::string truth_path;    // where the plugin writes window records
  std::string summary_path;  // optional: totals written when QEMU exits
  std::string edges_path;    // optional: every trigger pin edge with its virtual time
  // Optional: serve a virtual power monitor (a kind of the probe table with
  // a virtual twin; empty: the table's default) on this
  // Unix socket, with knobs: faults ("drop_every", "garbage_every",
  // "close_after", "stall_after", "stall_ms", "max_lag_ms") and "samples"
  // (a file of every sample's modelled current); see
  // probes/virtual/plugin/virtual_probe.h.
  std::string probe_kind;
  std::string probe_socket;
  std::map<std::string, std::string> probe_faults;
  std::string profiles_file;  // empty: EnergyProfilesPath()
  // What-if overrides: "static_mw", "sleep_mw", "supply_v", "icount_shift",
  // "class_pj.<class>".
  std::map<std::string, std::string> overrides;
  // Keep virtual time from running ahead of the host's clock (forgiving,
  // not catching up, a lag), so tools that time the DUT on the host see a
  // board's pace; every figure stays the same (probes/virtual/pacer.h).
  bool realtime = false;
};

struct VirtualDutOptions {
  // How the image gets onto the board. OpenOCD (the default): QEMU starts
  // empty and halted, and the real OpenOCD examines the core and loads,
  // verifies and starts the image through the virtual debug probe, as on a
  // real bench. QEMU: it loads the image itself (-kernel).
  Flasher flasher = Flasher::kOpenOcd;
  flash::OpenOcdOptions openocd;  // binary, timeout, attempts
  // The emulated adapter OpenOCD drives: a Bus Pirate (fast, the default) or
  // remote_bitbang.
  virtual_bench::DebugAdapter debug_adapter = virtual_bench::DebugAdapter::kBusPirate;
  virtual_bench::DebugFaults debug_faults;  // for tests: a verify that must fail
  flash::QemuOptions qemu;                  // machine and firmware are filled in from the board
  dut::DutLinkOptions link;
  EnergyModelOptions energy;
};

// The energy plugin and the profiles file: $HIL_ENERGY_PLUGIN and
// $HIL_ENERGY_PROFILES if set, otherwise those of this build.
std::string EnergyPluginPath();
std::string EnergyProfilesPath();

// How long one instruction takes on the virtual bench for a board (its
// energy profile's QEMU -icount shift), in nanoseconds: the virtual bench
// keeps emulated time, not the board's clock. Errors: configuration (no
// profile for the board).
Result<double> EmulatedNsPerInstruction(const std::string& board);

// The QEMU command for a board, firmware and energy model, without starting
// it. Errors: configuration (board not emulated, bad profile or path).
Result<flash::QemuOptions> VirtualBoardQemuOptions(const BoardSpec& board,
                                                   const std::string& firmware,
                                                   const VirtualDutOptions& options);

// The OpenOCD configuration of an emulated board behind the virtual debug
// probe: its adapter (a Bus Pirate on the probe's pseudo-terminal, or
// remote_bitbang on its Unix socket or TCP port), JTAG, the board's Cortex-M.
flash::OpenOcdConfig VirtualBoardOpenOcdConfig(const BoardSpec& board,
                                               const virtual_bench::VirtualDebugProbe& probe);

// Boots firmware on an emulated board and waits for the harness's banner.
// With an energy profile, QEMU's clock (icount shift) comes from the profile.
// Errors: configuration (board not emulated, image missing, bad profile),
// infrastructure.
Result<VirtualDut> BootVirtualDut(const BoardSpec& board, const std::string& firmware,
                                  VirtualDutOptions options = {});

// Starts an emulated board with its image loaded by QEMU and leaves its UART
// to an outside client (the harness boots when one connects): no link, no
// flasher. Errors: configuration (a flasher other than qemu: OpenOCD can
// only reach the core once the UART has its client), and as BootVirtualDut.
Result<VirtualDut> StartVirtualDut(const BoardSpec& board, const std::string& firmware,
                                   const VirtualDutOptions& options);

}  // namespace hil
