// The health check of a bench: does each part respond? On a real bench:
// the board profile and its firmware, the debug probe (OpenOCD examines the
// target), the DUT's UART (the harness answers name%), the power monitor
// (its metadata) and host GPIO lines. On the virtual bench: the same through
// QEMU, the energy plugin and the virtual probe. hild runs it before each
// job on a real bench; `hil bench check` prints it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "hil/bench/bench_spec.h"

namespace hil::bench {

struct PartHealth {
  std::string part;  // "board", "debug probe", "DUT UART", "power monitor", "host GPIO", ...
  bool healthy = false;
  std::string detail;  // what answered, or the error with its fix
};

struct BenchHealth {
  std::string bench, kind, board;
  std::vector<PartHealth> parts;
  bool healthy() const;
  // "debug probe, DUT UART" (empty when healthy).
  std::string MissingParts() const;
};

struct CheckOptions {
  std::chrono::milliseconds openocd_timeout{20000};
  std::chrono::milliseconds dut_timeout{3000};
  std::string openocd_binary = "openocd";
  std::function<void(const std::string&)> progress;  // "checking the debug probe", ...
};

// Checks every part, each on its own: one missing part does not hide the
// state of the others.
BenchHealth CheckBench(const BenchSpec& bench, const CheckOptions& options = {});

}  // namespace hil::bench
