// The lowered model as C sources the DUT's firmware links: model_data.c
// (weights and requantisation as const arrays, the layer table, the arena)
// and model_data.h (its sizes as macros, for the harness's workload).
#pragma once

#include <string>

#include "hil/error.h"
#include "hil/model/lowering.h"

namespace hil::model {

// Raised whenever struct nn_layer or the emitted sources change: caches of
// compiled models are keyed by it.
// 3: multipliers and RELU6 follow TFLM's rules (issue 19).
inline constexpr int kEmitFormatVersion = 3;

// Writes DIR/model_data.c and DIR/model_data.h. Errors: infrastructure
// (cannot write).
Status EmitC(const LoweredModel& model, const std::string& dir);

}  // namespace hil::model
