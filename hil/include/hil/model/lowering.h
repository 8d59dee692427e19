// A model lowered to the NN runtime's layer table (firmware/nn/nn.h): every
// tensor placed in the arena, every requantisation turned into fixed-point
// multipliers and shifts, every fused activation into a clamp. The same
// table runs on the host (the reference output) and is emitted as C for the
// DUT, so both compute the same bits.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hil/error.h"
#include "hil/model/analysis.h"
#include "hil/model/model.h"
#include "hil/model/to_float.h"
#include "nn.h"

namespace hil::model {

struct LoweredModel {
  std::string id;
  std::vector<nn_layer> layers;
  std::vector<std::string> names;  // TFLite op names, per layer
  std::vector<uint32_t> macs;
  ArenaPlan arena;
  uint32_t input = 0, input_bytes = 0;
  uint32_t output = 0, output_count = 0;
  float input_scale = 1, output_scale = 1;
  int32_t input_zero_point = 0, output_zero_point = 0;
  bool output_float = false;  // float32 output; else int8 with the scale above
  // The constant data the layers point into; a deque keeps addresses fixed.
  std::deque<std::vector<int8_t>> weights;
  std::deque<std::vector<int32_t>> words;
  std::deque<std::vector<float>> floats;

  // An output element as a real number, from its raw value as the DUT
  // reports it (m-hil-raw): an int8 value, or a float32's bits.
  float Value(int32_t raw) const;
};

// One inference's output, raw (as the DUT reports it) and as real numbers.
struct ModelOutput {
  std::vector<int32_t> raw;
  std::vector<float> values;
};

// Errors: configuration, naming the layer (a type or shape the runtime does
// not take: float32 models, non-symmetric filters, ...).
Result<std::unique_ptr<LoweredModel>> Lower(const Model& model, const std::string& id);

// Reads a .tflite file and lowers it, as its float32 twin (ToFloat32) when
// asked. Errors: as ReadTfliteFile, and as Lower (those without the file's
// name: callers add what context they want).
Result<std::unique_ptr<LoweredModel>> LowerFile(const std::string& path, const std::string& id,
                                                NumberFormat format = NumberFormat::kInt8);

// Q31 multiplier and power-of-two exponent of a real scale (TFLite's rule:
// frexp, round to 31 bits, a mantissa of exactly 1 moves to the exponent).
void QuantizeMultiplier(double scale, int32_t& multiplier, int32_t& shift);

// Runs the lowered model on one input with the reference kernels. Errors:
// configuration (the input's size is not the model's).
Result<ModelOutput> RunReference(const LoweredModel& lowered, std::span<const uint8_t> input);

}  // namespace hil::model
