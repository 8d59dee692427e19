// Internal to the case runners: what a case is measured on, however the
// bench was brought up (QEMU on the virtual bench, OpenOCD and a real
// board), and the measurement they share.
#pragma once

#include <array>
#include <functional>
#include <vector>

#include "drivers/dut/dut_link.h"
#include "drivers/gpio/gpio_lines.h"
#include "hil/bench/bring_up.h"
#include "hil/measure/measurement.h"
#include "hil/measure/verification.h"
#include "hil/plan/plan.h"
#include "hil/power_probe.h"
#include "hil/run/case_runner.h"

namespace hil::run {

struct CaseBench {
  dut::DutLink* link = nullptr;  // the harness, answering
  PowerProbe* probe = nullptr;   // open, not streaming
  // Where each role's edges come from: probe logic inputs, or host GPIO.
  std::array<measure::TriggerWiring, measure::kRoleCount> triggers{};
  // Host GPIO with watched lines; host_roles[i] is the role of input i.
  gpio::GpioChip* host_gpio = nullptr;
  std::vector<measure::Role> host_roles;
  // Adds what the bench knows to a DUT link error (how QEMU ended).
  std::function<Error(const Error&)> explain = [](const Error& error) { return error; };
  // The exact windows, where the bench has them (the virtual bench), read
  // once the run is over.
  std::function<Result<std::vector<measure::TruthWindow>>()> ground_truth;
};

// What MeasureCase needs of a bench that is up; it refers into `up`.
CaseBench CaseBenchOf(bench::UpBench& up);

Status MeasureCase(const plan::Plan& plan, const plan::Case& c, CaseBench& bench,
                   CaseResult& result, const Progress& progress);

}  // namespace hil::run
