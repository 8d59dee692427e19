// A bench: one DUT board and everything that reaches it (debug probe,
// UART, power monitor, trigger wiring, host GPIO). A bench file lists the
// benches of a host; hild serves them and `hil bench check` checks them.
// hil/BENCHES.md documents every key.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drivers/flash/openocd.h"
#include "hil/bench_kinds.h"
#include "hil/boards.h"
#include "hil/error.h"
#include "hil/position.h"
#include "hil/yaml_reader.h"
#include "probes/probe_kind.h"

namespace hil::bench {

// How OpenOCD reaches the board: the board profile's configs unless
// overridden, and the serial number that picks this bench's probe.
struct DebugSpec {
  std::string adapter_serial;               // empty: the only probe attached
  std::string interface_config;             // empty: the board profile's
  std::string transport;                    // empty: the board profile's
  std::string target_config;                // empty: the board profile's
  uint32_t speed_khz = 0;                   // 0: the board profile's
  int tcl_port = 0;                         // a long-lived OpenOCD's RPC port; 0: none
  std::vector<std::string> extra_commands;  // e.g. "reset_config srst_only"
};

struct ProbeSpec {
  std::string kind;     // a kind of the probe table (probes/probe_table.h)
  std::string connect;  // serial:/dev/ttyACM0, usb[:SERIAL]; virtual: unused
  // The kind's own settings (ProbeKind::settings), as the file gives them.
  std::map<std::string, std::string> options;
};

// Host GPIO (libgpiod): trigger inputs when the DUT's pins are not wired to
// the probe's logic inputs, and outputs that drive the DUT.
struct GpioSpec {
  std::string chip;  // /dev/gpiochipN or its name
  // Line names or offsets; empty: not wired to the host.
  std::string inference, layer, timestamp;  // inputs, both edges
  std::string reset;                        // output, drives the DUT's NRST (active low)
  bool configured() const { return !chip.empty(); }
};

// Where one trigger comes in: a logic input of the probe ("D0"), "gpio"
// (a real bench's host GPIO line), or "none"; where the file said so.
struct Trigger {
  std::string input;
  Position at;
};

// One bench, whether a bench file or a plan's `bench:` section describes
// it (the plan's is the virtual bench, or says which kind of bench it
// needs); the bring-up (bring_up.h) takes it as it is.
struct BenchSpec {
  std::string name;
  BenchKind kind = BenchKind::kVirtual;
  std::string board;  // a board profile (`hil boards`)
  // How firmware gets onto the DUT (none: flashed outside hil, by a vendor
  // tool or a drag-and-drop bootloader).
  Flasher flasher = Flasher::kOpenOcd;
  std::string uart;  // real: the DUT's UART connection string
  uint32_t supply_mv = 3300;
  DebugSpec debug;
  ProbeSpec probe;
  GpioSpec gpio;
  // Where each trigger comes in; unless the file says, the probe kind's
  // wiring (probes/probe_table.h).
  Trigger inference, layer, timestamp;
  std::string energy_profile;  // virtual: another board's energy model; empty: the board's
  // Virtual: fast (QEMU as fast as it goes) | realtime (virtual time kept
  // in step with the host's clock, for tools that time on the host).
  std::string pace = "fast";
  // What a lab routes jobs by besides kind and board: `rack2`, `usb3`...
  // (letters, digits, '.', '_' and '-').
  std::vector<std::string> tags;
  int line = 0;  // in the bench file, for messages
};

// Whether `text` may be a tag: 1 to 64 letters, digits, '.', '_' or '-'.
bool ValidTag(const std::string& text);

// Bench files are short; a larger one is refused unread.
inline constexpr size_t kMaxBenchFileBytes = 1 << 20;

// The keys a bench file may have at its top level (hild reads the rest).
extern const std::vector<std::string> kBenchFileKeys;

// Reads the `benches` of a bench file and checks each against the board
// profiles. Errors: configuration, every problem with FILE:LINE:COL and the
// fix.
Result<std::vector<BenchSpec>> ReadBenchFile(const std::string& path);

// The same on a bench file already loaded, its problems going to `reader`
// (hild reads its own keys from the same file with the same reader).
std::vector<BenchSpec> ReadBenches(YamlReader& reader, const YAML::Node& root);

// One bench of a bench file: the one named, or the file's only bench when
// `name` is empty. Errors: configuration, listing the file's benches.
Result<BenchSpec> ReadNamedBench(const std::string& path, const std::string& name);

// The virtual bench `hil bench check` checks when given no file.
BenchSpec DefaultVirtualBench();

// What opens a real bench's power monitor.
probes::ProbeSettings ProbeSettingsOf(const BenchSpec& bench);

// The OpenOCD configuration of a real bench: the board profile's interface
// and target, with the bench's serial number and overrides.
flash::OpenOcdConfig OpenOcdConfigFor(const BenchSpec& bench, const BoardSpec& board);

}  // namespace hil::bench
