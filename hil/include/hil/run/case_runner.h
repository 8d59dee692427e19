// Runs one case of a plan on a bench. On the virtual bench: boots the
// firmware in QEMU with the energy model and its virtual probe, measures
// with the real probe driver and the measurement engine, and verifies
// against the firmware's timer and the emulator's ground truth. On a real
// bench: flashes through OpenOCD and measures the same way.
#pragma once

#include <functional>
#include <string>

#include "hil/bench/bench_spec.h"
#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

using Progress = std::function<void(const std::string& step)>;

// Fills `result` as far as it got. Errors: infrastructure (the bench
// failed: retry), configuration (the case cannot run as written).
Status RunVirtualCase(const plan::Plan& plan, const plan::Case& c, const Firmware& firmware,
                      CaseResult& result, const Progress& progress);

// The same on a real bench: flashed by OpenOCD (or already flashed), the
// bench file's UART, power monitor and trigger wiring. No ground truth: the
// figures are verified against the firmware's timer and the layer sums.
// Errors as RunVirtualCase; OpenOCD's are classified (flash::OpenOcdError).
Status RunRealCase(const plan::Plan& plan, const plan::Case& c, const Firmware& firmware,
                   const bench::BenchSpec& bench, CaseResult& result, const Progress& progress);

}  // namespace hil::run
