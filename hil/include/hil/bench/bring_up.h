// Bringing a bench up: the one place that turns a bench description into a
// DUT answering on its link, with its power monitor and trigger wiring
// ready. Two strategies, in labgrid's sense: the virtual one boots the
// board in QEMU (flashed through OpenOCD and the virtual debug probe, or by
// QEMU itself) with the energy model and a virtual twin of the probe; the
// real one flashes through OpenOCD (unless the bench says flasher: none),
// sets up the host's GPIO, connects to the harness on the bench's UART and
// opens the bench's power monitor.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/dut/dut_link.h"
#include "drivers/flash/openocd.h"
#include "drivers/gpio/gpio_lines.h"
#include "hil/bench/bench_spec.h"
#include "hil/measure/measurement.h"
#include "hil/measure/verification.h"
#include "hil/power_probe.h"
#include "hil/virtual_dut.h"
#include "probes/probe_kind.h"

namespace hil::bench {

struct BringUpOptions {
  // The image to put on the DUT. Empty: a real DUT already runs the harness
  // (nothing is flashed); the virtual bench needs one.
  std::string firmware;
  bool connect = true;  // reach the harness on the DUT's link
  // Virtual: start the board with its image loaded by QEMU and leave its
  // UART to an outside client (hil bench up); nothing connects.
  bool leave_uart = false;
  bool open_probe = false;  // also open the power monitor (not streaming)
  bool watch_gpio = false;  // real: the host GPIO lines the triggers come through
  // The virtual strategy's QEMU, energy model and OpenOCD (the bench's own
  // flasher and probe kind are set from the bench). With open_probe, the
  // energy model's probe socket must be set.
  VirtualDutOptions virtual_dut;
  flash::OpenOcdOptions openocd;  // the real strategy's
  std::chrono::milliseconds connect_timeout{10000};
  std::function<void(const std::string&)> progress;
};

// A bench that is up. Owns what it brought up; closes it in reverse order.
struct UpBench {
  std::optional<VirtualDut> virtual_dut;      // the virtual strategy's QEMU
  std::unique_ptr<dut::DutLink> real_link;    // the real strategy's UART link
  std::unique_ptr<gpio::GpioChip> host_gpio;  // real, with watched trigger lines
  std::vector<measure::Role> host_roles;      // host_gpio's watched line i is host_roles[i]
  std::unique_ptr<PowerProbe> probe;          // open, not streaming; null unless asked
  const probes::ProbeKind* probe_kind = nullptr;
  // Where each role's edges come from: probe logic inputs, or host GPIO.
  std::array<measure::TriggerWiring, measure::kRoleCount> triggers{};
  // Where the virtual bench's energy model writes the exact windows (when
  // BringUpOptions.virtual_dut.energy.truth_path asks for them); empty on
  // a bench without ground truth, as every real one is.
  std::string truth_path;

  // The harness's link (null when not connected).
  dut::DutLink* link() const;
  bool has_ground_truth() const { return !truth_path.empty(); }
  // The exact windows, once the inferences are over: QEMU is stopped first
  // so that every record is written. Errors: infrastructure.
  Result<std::vector<measure::TruthWindow>> GroundTruth();
  // Adds what the bench knows to a DUT error (how QEMU ended).
  Error Explain(const Error& error);
};

// How one kind of bench is brought up.
class BringUpStrategy {
 public:
  virtual ~BringUpStrategy() = default;
  virtual Result<UpBench> Up(const BenchSpec& bench, const BringUpOptions& options) const = 0;
};

// The strategy for a bench's kind.
const BringUpStrategy& StrategyFor(BenchKind kind);

// Brings the bench up with the strategy of its kind. Errors: configuration
// (the bench cannot be brought up as described), infrastructure (a part did
// not answer: retry), and as flash::OpenOcdError.
Result<UpBench> BringUp(const BenchSpec& bench, const BringUpOptions& options);

// Where a trigger's edges come from: "none", "gpio" (the host's GPIO) or a
// logic input "Dn" of the probe, sampled or reported as events as its kind
// does.
measure::TriggerWiring WiringOf(const std::string& input, const probes::ProbeKind& kind);

}  // namespace hil::bench
