// Runs one case of a plan on the virtual bench: boots the firmware in QEMU
// with the energy model and its virtual probe, measures with the real probe
// driver and the measurement engine, verifies against the firmware's timer
// and the emulator's ground truth, and judges the expectations.
#pragma once

#include <functional>
#include <string>

#include "hil/plan/plan.h"
#include "hil/run/case_result.h"

namespace hil::run {

using Progress = std::function<void(const std::string& step)>;

// Fills `result` as far as it got. Errors: infrastructure (the bench
// failed: retry), configuration (the case cannot run as written).
Status RunVirtualCase(const plan::Plan& plan, const plan::Case& c, const Firmware& firmware,
                      CaseResult& result, const Progress& progress);

// Judges the plan's absolute expectations (baseline ones are left to the
// executor, which knows the baseline run). Returns whether all held.
bool JudgeExpectations(const plan::Plan& plan, CaseResult& result,
                       const CaseResult* baseline = nullptr);

// The value of FIGURE.STAT in a result (NaN when absent).
double MetricValue(const CaseResult& result, const std::string& metric);

}  // namespace hil::run
