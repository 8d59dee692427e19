// Internal to the case runners: the measurement both share, on a bench the
// bring-up has brought up (QEMU on the virtual bench, a board on a real one).
#pragma once

#include "hil/bench/bring_up.h"
#include "hil/plan/plan.h"
#include "hil/run/case_runner.h"

namespace hil::run {

// Measures one case on a bench that is up: the harness answers on its link,
// the probe is open. Runs the inferences with the probe streaming, checks
// the outputs against the host's reference, and verifies the figures
// against the firmware's timer and, where the bench has it, the ground
// truth.
Status MeasureCase(const plan::Plan& plan, const plan::Case& c, bench::UpBench& up,
                   CaseResult& result, const Progress& progress);

}  // namespace hil::run
