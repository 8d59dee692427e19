#include "hil/model/lowering.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hil/model/tflite_reader.h"
#include "layer_lowering.h"

namespace hil::model {

void QuantizeMultiplier(double scale, int32_t& multiplier, int32_t& shift) {
  if (scale == 0 || !std::isfinite(scale)) {  // nothing a converter writes; no overflow
    multiplier = 0, shift = 0;
    return;
  }
  int exponent = 0;
  const double mantissa = std::frexp(scale, &exponent);
  int64_t fixed = static_cast<int64_t>(std::round(mantissa * (1ll << 31)));
  if (fixed == (1ll << 31)) {
    fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) fixed = 0, exponent = 0;
  multiplier = static_cast<int32_t>(fixed);
  shift = exponent;
}

Result<std::unique_ptr<LoweredModel>> Lower(const Model& model, const std::string& id) {
  auto lowered = std::make_unique<LoweredModel>();
  LoweredModel& out = *lowered;
  out.id = id;
  out.arena = PlanArena(model);
  const std::vector<LayerInfo> info = AnalyseLayers(model);
  for (size_t i = 0; i < model.operators.size(); ++i) {
    Result<nn_layer> layer = LayerLowering::Lower(model, i, out);
    if (!layer.ok()) return layer.error();
    out.layers.push_back(*layer);
    out.names.emplace_back(OpName(model.operators[i].kind));
    out.macs.push_back(static_cast<uint32_t>(std::min<int64_t>(info[i].macs, UINT32_MAX)));
  }
  if (model.inputs.size() != 1 || model.outputs.size() != 1) {
    return ConfigurationError("hil runs models with one input and one output");
  }
  const Tensor& input = model.tensors[model.inputs[0]];
  const Tensor& output = model.tensors[model.outputs[0]];
  out.input = static_cast<uint32_t>(out.arena.offset[model.inputs[0]]);
  out.input_bytes = static_cast<uint32_t>(input.bytes());
  out.output = static_cast<uint32_t>(out.arena.offset[model.outputs[0]]);
  out.output_count = static_cast<uint32_t>(output.elements());
  out.output_float = output.type == TensorType::kFloat32;
  if (input.quantization.present()) {
    out.input_scale = static_cast<float>(Scale(input));
    out.input_zero_point = ZeroPoint(input);
  }
  if (!out.output_float) {
    out.output_scale = static_cast<float>(Scale(output));
    out.output_zero_point = ZeroPoint(output);
  }
  return lowered;
}

Result<std::unique_ptr<LoweredModel>> LowerFile(const std::string& path, const std::string& id,
                                                NumberFormat format) {
  Result<Model> model = ReadTfliteFile(path);
  if (!model.ok()) return model.error();
  if (format == NumberFormat::kFloat32) return Lower(ToFloat32(*model), id);
  return Lower(*model, id);
}

float LoweredModel::Value(int32_t raw) const {
  if (output_float) {
    float value = 0;
    std::memcpy(&value, &raw, sizeof value);
    return value;
  }
  return static_cast<float>(raw - output_zero_point) * output_scale;
}

Result<ModelOutput> RunReference(const LoweredModel& lowered, std::span<const uint8_t> input) {
  if (input.size() != lowered.input_bytes) {
    return ConfigurationError("the input has " + std::to_string(input.size()) +
                              " bytes; the model takes " + std::to_string(lowered.input_bytes));
  }
  std::vector<uint8_t> arena(static_cast<size_t>(lowered.arena.bytes) + 16);
  std::memcpy(&arena[lowered.input], input.data(), input.size());
  for (const nn_layer& layer : lowered.layers) nn_run_layer(&layer, arena.data());
  ModelOutput output;
  for (uint32_t i = 0; i < lowered.output_count; ++i) {
    int32_t raw = 0;
    if (lowered.output_float) {
      std::memcpy(&raw, &arena[lowered.output + 4 * i], 4);
    } else {
      raw = static_cast<int8_t>(arena[lowered.output + i]);
    }
    output.raw.push_back(raw);
    output.values.push_back(lowered.Value(raw));
  }
  return output;
}

}  // namespace hil::model
