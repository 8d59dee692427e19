#include "hil/virtual_dut.h"

#include <cstdlib>
#include <thread>

#include "drivers/flash/elf_image.h"
#include "drivers/transport/byte_stream.h"
#include "hil/did_you_mean.h"
#include "probes/probe_table.h"
#include "probes/virtual/energy_profile.h"

#if !defined(HIL_DEFAULT_ENERGY_PLUGIN) || !defined(HIL_DEFAULT_ENERGY_PROFILES)
#error "the build defines HIL_DEFAULT_ENERGY_PLUGIN and HIL_DEFAULT_ENERGY_PROFILES"
#endif

namespace hil {
namespace {

std::string FromEnvironment(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// The harness writes its trigger pins only in this function; the plugin
// watches stores there alone (firmware/boards/mps/emulated_pins.h).
constexpr const char* kPinWriter = "emulated_pins_write";

// Adds "-plugin PATH,KEY=VALUE,..." for the energy model.
Status AddEnergyPlugin(const EnergyModelOptions& energy, const std::string& firmware,
                       flash::QemuOptions& qemu) {
  const std::string profiles =
      energy.profiles_file.empty() ? EnergyProfilesPath() : energy.profiles_file;
  Result<virtual_bench::EnergyProfile> profile =
      virtual_bench::LoadEnergyProfile(profiles, energy.profile, energy.overrides);
  if (!profile.ok()) return profile.error();
  if (energy.truth_path.empty()) {
    return ConfigurationError("the energy model needs a path for its ground truth");
  }
  std::string plugin = EnergyPluginPath() + ",profiles=" + profiles + ",profile=" + energy.profile +
                       ",truth=" + energy.truth_path;
  if (!energy.summary_path.empty()) plugin += ",summary=" + energy.summary_path;
  // Firmware without the symbol (another MLPerf Tiny port) still works; the
  // plugin then watches every store, at a higher cost.
  if (Result<flash::ElfImage> image = flash::ReadElfImage(firmware); image.ok()) {
    if (std::optional<flash::ElfSymbol> writer = image->Find(kPinWriter);
        writer && writer->size > 0) {
      plugin += ",pin_code=" + std::to_string(writer->address) + "-" +
                std::to_string(writer->address + writer->size);
    }
  }
  if (!energy.edges_path.empty()) plugin += ",edges=" + energy.edges_path;
  if (!energy.probe_socket.empty()) {
    const std::string name =
        energy.probe_kind.empty() ? probes::DefaultProbeKind().name : energy.probe_kind;
    const probes::ProbeKind* kind = probes::FindProbeKind(name);
    if (kind == nullptr || !kind->virtual_twin) {
      return ConfigurationError("virtual probe '" + name +
                                "' does not exist; the virtual bench has " +
                                JoinNames(probes::ProbeKindNames(true)));
    }
    plugin += "," + name + "=" + energy.probe_socket;
  }
  for (const auto& [knob, value] : energy.probe_faults) plugin += ",probe_" + knob + "=" + value;
  for (const auto& [key, value] : energy.overrides) plugin += ",set." + key + "=" + value;
  if (energy.realtime) plugin += ",pace=realtime";
  // QEMU splits plugin arguments at commas.
  for (const std::string& part :
       {profiles, energy.truth_path, energy.summary_path, energy.edges_path, energy.probe_socket}) {
    if (part.find(',') != std::string::npos) {
      return ConfigurationError("path '" + part +
                                "' contains a comma, which QEMU's -plugin "
                                "option cannot carry; use another folder");
    }
  }
  qemu.icount_shift = profile->icount_shift;
  qemu.extra_arguments.push_back("-plugin");
  qemu.extra_arguments.push_back(plugin);
  return OkStatus();
}

}  // namespace

std::string EnergyPluginPath() {
  return FromEnvironment("HIL_ENERGY_PLUGIN", HIL_DEFAULT_ENERGY_PLUGIN);
}

std::string EnergyProfilesPath() {
  return FromEnvironment("HIL_ENERGY_PROFILES", HIL_DEFAULT_ENERGY_PROFILES);
}

Result<double> EmulatedNsPerInstruction(const std::string& board) {
  Result<virtual_bench::EnergyProfile> profile =
      virtual_bench::LoadEnergyProfile(EnergyProfilesPath(), board);
  if (!profile.ok()) return profile.error();
  return profile->ns_per_instruction();
}

Error VirtualDut::Explain(const Error& error) {
  if (machine == nullptr) return error;
  // The link notices a dead QEMU a moment before waitpid does.
  std::optional<flash::QemuExit> exit = machine->WaitForExit(std::chrono::milliseconds(200));
  if (!exit) {
    return error.kind() == ErrorKind::kInfrastructure
               ? Error(error.kind(), error.message() + " (QEMU is still running: the DUT hangs)")
               : error;
  }
  std::string log = machine->LogTail(500);
  return Error(error.kind(), error.message() + " (QEMU " + exit->Describe() +
                                 (log.empty() ? "" : "; QEMU said: " + log) + ")");
}

flash::OpenOcdConfig VirtualBoardOpenOcdConfig(const BoardSpec& board,
                                               const virtual_bench::VirtualDebugProbe& probe) {
  const std::string chip(board.name);
  flash::OpenOcdConfig config;
  if (probe.adapter() == virtual_bench::DebugAdapter::kBusPirate) {
    // Push-pull pins, as a Bus Pirate wired straight to a board's JTAG header.
    config.interface_commands = {"adapter driver buspirate",
                                 "buspirate port " + flash::TclQuote(probe.tty_path()),
                                 "buspirate mode normal"};
  } else {
    // Port 0: the host is a Unix socket path.
    config.interface_commands = {
        "adapter driver remote_bitbang",
        "remote_bitbang host " +
            flash::TclQuote(probe.port() == 0 ? probe.socket_path() : "127.0.0.1"),
        "remote_bitbang port " + std::to_string(probe.port())};
  }
  // The probe's TAP is a JTAG-DP: OpenOCD 0.12 speaks only JTAG over
  // remote_bitbang, and its Bus Pirate SWD (raw-wire) is not emulated.
  config.transport = "jtag";
  config.target_commands = {"jtag newtap " + chip + " cpu -irlen 4 -expected-id 0x4ba00477",
                            "dap create " + chip + ".dap -chain-position " + chip + ".cpu",
                            "target create " + chip + ".cpu cortex_m -dap " + chip + ".dap",
                            "cortex_m reset_config sysresetreq"};
  config.title = "virtual bench, board " + chip + " behind the virtual debug probe";
  return config;
}

Error VirtualDut::ExplainFlash(const Error& error) {
  // A flash error stands on its own, unless QEMU ended under it.
  if (machine == nullptr || !machine->WaitForExit(std::chrono::milliseconds(100))) return error;
  return Explain(error);
}

Status VirtualDut::Reflash(const std::string& firmware) {
  if (flasher == nullptr) {
    return ConfigurationError("this virtual board was started by QEMU (-kernel), not OpenOCD");
  }
  Status flashed = flasher->Flash(firmware);
  if (!flashed.ok()) return ExplainFlash(flashed.error());
  Result<std::string> mode = link->WaitForBoot();
  if (!mode.ok()) return Explain(mode.error());
  timestamp_mode = *mode;
  return OkStatus();
}

Result<flash::QemuOptions> VirtualBoardQemuOptions(const BoardSpec& board,
                                                   const std::string& firmware,
                                                   const VirtualDutOptions& options) {
  if (!board.emulated()) {
    return ConfigurationError("board '" + std::string(board.name) +
                              "' is hardware only; the virtual bench emulates mps2-an386, "
                              "mps2-an500 and mps3-an547");
  }
  flash::QemuOptions qemu = options.qemu;
  qemu.machine = std::string(board.qemu_machine);
  qemu.firmware = firmware;
  if (!options.energy.profile.empty()) {
    HIL_RETURN_IF_ERROR(AddEnergyPlugin(options.energy, firmware, qemu));
  }
  return qemu;
}

Result<VirtualDut> BootVirtualDut(const BoardSpec& board, const std::string& firmware,
                                  VirtualDutOptions options) {
  if (options.flasher == Flasher::kNone) {
    return ConfigurationError("the virtual bench flashes with openocd or qemu, not none");
  }
  Result<flash::QemuOptions> qemu = VirtualBoardQemuOptions(board, firmware, options);
  if (!qemu.ok()) return qemu.error();
  qemu->load_firmware = options.flasher == Flasher::kQemu;
  Result<std::unique_ptr<flash::QemuMachine>> machine = flash::QemuMachine::Start(*qemu);
  if (!machine.ok()) return machine.error();

  VirtualDut dut;
  dut.machine = std::move(*machine);
  // QEMU creates the socket file just before it listens: retry briefly.
  Result<std::unique_ptr<transport::ByteStream>> stream = InfrastructureError("not connected yet");
  for (int attempt = 0; attempt < 100; ++attempt) {
    stream = transport::OpenByteStream(dut.machine->uart_uri());
    if (stream.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!stream.ok()) return dut.Explain(stream.error());
  dut.link = std::make_unique<dut::DutLink>(std::move(*stream), options.link);
  if (options.flasher == Flasher::kOpenOcd) {
    // QEMU opened its gdbstub once the UART had its client.
    virtual_bench::DebugProbeOptions probe;
    probe.gdb_socket = dut.machine->gdb_socket();
    probe.faults = options.debug_faults;
    probe.adapter = options.debug_adapter;
    probe.socket_path = dut.machine->work_dir() + "/debug-probe.sock";
    Result<std::unique_ptr<virtual_bench::VirtualDebugProbe>> started =
        virtual_bench::VirtualDebugProbe::Start(probe);
    if (!started.ok()) return dut.ExplainFlash(started.error());
    dut.debug_probe = std::move(*started);
    flash::OpenOcdOptions openocd = options.openocd;
    openocd.load_image = true;
    Result<std::unique_ptr<flash::OpenOcdFlasher>> flasher =
        flash::OpenOcdFlasher::Create(VirtualBoardOpenOcdConfig(board, *dut.debug_probe), openocd);
    if (!flasher.ok()) return flasher.error();
    dut.flasher = std::move(*flasher);
    Status flashed = dut.flasher->Flash(firmware);
    if (!flashed.ok()) return dut.ExplainFlash(flashed.error());
  }
  Result<std::string> mode = dut.link->WaitForBoot();
  if (!mode.ok()) return dut.Explain(mode.error());
  dut.timestamp_mode = *mode;
  return dut;
}

Result<VirtualDut> StartVirtualDut(const BoardSpec& board, const std::string& firmware,
                                   const VirtualDutOptions& options) {
  if (options.flasher != Flasher::kQemu) {
    return ConfigurationError(
        "a virtual bench left to an outside client is flashed by QEMU (flasher: qemu): OpenOCD "
        "reaches the core only once the UART has its client");
  }
  Result<flash::QemuOptions> qemu = VirtualBoardQemuOptions(board, firmware, options);
  if (!qemu.ok()) return qemu.error();
  qemu->load_firmware = true;
  Result<std::unique_ptr<flash::QemuMachine>> machine = flash::QemuMachine::Start(*qemu);
  if (!machine.ok()) return machine.error();
  VirtualDut dut;
  dut.machine = std::move(*machine);
  return dut;
}

}  // namespace hil
