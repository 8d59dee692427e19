// One method per operator kind: what each takes from the model and how it
// fills its layer (layer_lowering.h).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "hil/model/tflite_reader.h"
#include "layer_lowering.h"
#include "nn_fixedpoint.h"

namespace hil::model {

Status LayerLowering::Conv2D() {
  HIL_RETURN_IF_ERROR(Weighted(NN_CONV_2D));
  const Tensor& filter = model_.tensors[op_.inputs[1]];
  if (filter.shape.size() != 4 || filter.shape[0] != l_.out.c || filter.shape[3] != l_.in.c) {
    return ConfigurationError(layer_ + ": filter shape " + ShapeText(filter.shape) +
                              " does not fit the tensors");
  }
  HIL_RETURN_IF_ERROR(Window(filter.shape[1], filter.shape[2]));
  return OkStatus();
}

Status LayerLowering::DepthwiseConv2D() {
  HIL_RETURN_IF_ERROR(Weighted(NN_DEPTHWISE_CONV_2D));
  const Tensor& filter = model_.tensors[op_.inputs[1]];
  if (filter.shape.size() != 4 || filter.shape[3] != l_.out.c ||
      l_.out.c != l_.in.c * op_.depth_multiplier) {
    return ConfigurationError(layer_ + ": filter shape " + ShapeText(filter.shape) +
                              " does not fit the tensors");
  }
  HIL_RETURN_IF_ERROR(Window(filter.shape[1], filter.shape[2]));
  l_.depth_multiplier = static_cast<uint8_t>(op_.depth_multiplier);
  return OkStatus();
}

Status LayerLowering::FullyConnected() {
  const Tensor& filter =
      model_.tensors[op_.inputs.size() > 1 && op_.inputs[1] >= 0 ? op_.inputs[1] : op_.inputs[0]];
  if (filter.shape.size() != 2) return ConfigurationError(layer_ + ": the filter must be 2-D");
  const int32_t units = filter.shape[0], depth = filter.shape[1];
  if (depth == 0 || input_.elements() % depth != 0 ||
      output_.elements() != input_.elements() / depth * units) {
    return ConfigurationError(layer_ + ": filter " + ShapeText(filter.shape) +
                              " does not fit input " + ShapeText(input_.shape));
  }
  l_.in = nn_dims{static_cast<int32_t>(input_.elements() / depth), 1, 1, depth};
  l_.out = nn_dims{l_.in.n, 1, 1, units};
  HIL_RETURN_IF_ERROR(Weighted(NN_FULLY_CONNECTED));
  return OkStatus();
}

Status LayerLowering::Pool() {
  if (!SameQuantisation(input_, output_)) {
    return ConfigurationError(layer_ + ": pooling that rescales is not supported");
  }
  l_.op = op_.kind == OpKind::kAveragePool2D ? NN_AVERAGE_POOL_2D : NN_MAX_POOL_2D;
  HIL_RETURN_IF_ERROR(Window(op_.filter_h, op_.filter_w));
  return OkStatus();
}

Status LayerLowering::Reshape() {
  if (input_.elements() != output_.elements()) {
    return ConfigurationError(layer_ + ": reshape changes the number of elements");
  }
  if (!SameQuantisation(input_, output_)) {
    return ConfigurationError(layer_ + ": a reshape that rescales is not supported");
  }
  l_.op = NN_RESHAPE;
  return OkStatus();
}

Status LayerLowering::Softmax() {
  l_.op = NN_SOFTMAX;
  if (is_float_) {
    l_.scale = op_.beta;
    return OkStatus();
  }
  if (std::abs(Scale(output_) - 1.0 / 256) > 1e-9 || ZeroPoint(output_) != -128) {
    return ConfigurationError(layer_ +
                              ": an int8 softmax output must have scale 1/256 and "
                              "zero point -128");
  }
  // beta x input_ scale, with 5 integer bits for the differences.
  const double real = std::min(static_cast<double>(op_.beta) * Scale(input_) * (1 << (31 - 5)),
                               static_cast<double>((1ll << 31) - 1));
  QuantizeMultiplier(real, l_.softmax_multiplier, l_.softmax_shift);
  const double radius = ((1 << 5) - 1) * static_cast<double>(1ll << (31 - 5)) /
                        static_cast<double>(1ll << l_.softmax_shift);
  l_.softmax_diff_min = -static_cast<int32_t>(std::floor(radius));
  return OkStatus();
}

Status LayerLowering::Add() {
  HIL_RETURN_IF_ERROR(SecondInput());
  l_.op = NN_ADD;
  if (is_float_) return OkStatus();
  // TFLite's int8 ADD: inputs rescaled to twice the larger input_ scale
  // with 20 bits of headroom.
  const Tensor& other = model_.tensors[op_.inputs[1]];
  const double twice_max = 2 * std::max(Scale(input_), Scale(other));
  std::vector<int32_t> multipliers(3), shifts(3);
  QuantizeMultiplier(Scale(input_) / twice_max, multipliers[0], shifts[0]);
  QuantizeMultiplier(Scale(other) / twice_max, multipliers[1], shifts[1]);
  QuantizeMultiplier(twice_max / ((1 << 20) * Scale(output_)), multipliers[2], shifts[2]);
  // Each input_ scaled by at most 1/2, so their sum stays under 255 x 2^20.
  for (int k = 0; k < 3; ++k) HIL_RETURN_IF_ERROR(Fits(255 << 20, shifts[k], "sum"));
  l_.multiplier = Words(std::move(multipliers));
  l_.shift = Words(std::move(shifts));
  return OkStatus();
}

Status LayerLowering::Mul() {
  HIL_RETURN_IF_ERROR(SecondInput());
  l_.op = NN_MUL;
  if (is_float_) return OkStatus();
  const Tensor& other = model_.tensors[op_.inputs[1]];
  std::vector<int32_t> multiplier(1), shift(1);
  QuantizeMultiplier(Scale(input_) * Scale(other) / Scale(output_), multiplier[0], shift[0]);
  HIL_RETURN_IF_ERROR(Fits(255 * 255, shift[0], "product"));
  l_.multiplier = Words(std::move(multiplier));
  l_.shift = Words(std::move(shift));
  return OkStatus();
}

Status LayerLowering::Pad() {
  if (op_.inputs.size() < 2 || op_.inputs[1] < 0)
    return ConfigurationError(layer_ + ": no paddings tensor");
  const Tensor& paddings = model_.tensors[op_.inputs[1]];
  const size_t rank = input_.shape.size();
  if (paddings.type != TensorType::kInt32 || !paddings.constant() ||
      paddings.elements() != static_cast<int64_t>(2 * rank) || rank < 1 || rank > 4) {
    return ConfigurationError(layer_ + ": the paddings '" + paddings.name +
                              "' must be a constant int32 [rank, 2] for 1 to 4 dimensions");
  }
  if (!SameQuantisation(input_, output_)) {
    return ConfigurationError(layer_ + ": a pad that rescales is not supported");
  }
  std::vector<int32_t> pads(2 * rank);
  std::memcpy(pads.data(), paddings.data.data(), pads.size() * 4);
  // Dimensions right-aligned to NHWC, as NhwcOf reads shapes.
  int32_t before[4] = {0, 0, 0, 0};
  for (size_t d = 0; d < rank; ++d) {
    if (pads[2 * d] < 0 || pads[2 * d + 1] < 0)
      return ConfigurationError(layer_ + ": a negative padding");
    before[4 - rank + d] = pads[2 * d];
  }
  if (before[0] != 0 || l_.out.n != l_.in.n) {
    return ConfigurationError(layer_ + ": padding the batch dimension is not supported");
  }
  if (before[1] > INT16_MAX || before[2] > INT16_MAX || before[3] > INT16_MAX) {
    return ConfigurationError(layer_ + ": a padding above 32767");
  }
  l_.op = NN_PAD;
  l_.pad_top = static_cast<int16_t>(before[1]);
  l_.pad_left = static_cast<int16_t>(before[2]);
  l_.pad_channel = static_cast<int16_t>(before[3]);
  if (l_.out.h < l_.in.h + before[1] || l_.out.w < l_.in.w + before[2] ||
      l_.out.c < l_.in.c + before[3]) {
    return ConfigurationError(layer_ + ": the output shape does not fit the paddings");
  }
  return OkStatus();
}

Status LayerLowering::Concatenation() {
  const int32_t rank = static_cast<int32_t>(output_.shape.size());
  const int32_t axis = op_.axis < 0 ? op_.axis + rank : op_.axis;
  if (axis < 0 || axis >= rank) {
    return ConfigurationError(layer_ + ": axis " + std::to_string(op_.axis) + " of a rank " +
                              std::to_string(rank) + " output");
  }
  int64_t rows = 1;
  for (int32_t d = 0; d < axis; ++d) rows *= output_.shape[d];
  std::vector<int32_t> parts;
  int64_t row_bytes = 0;
  for (int32_t index : op_.inputs) {
    if (index < 0) return ConfigurationError(layer_ + ": an input is missing");
    const Tensor& part = model_.tensors[index];
    if (part.constant()) return ConfigurationError(layer_ + ": a constant input is not supported");
    HIL_RETURN_IF_ERROR(Typed(index, "input", is_float_));
    if (!SameQuantisation(part, output_)) {
      return ConfigurationError(layer_ + ": input '" + part.name +
                                "' is quantised unlike the output; hil concatenates "
                                "int8 tensors of one scale and zero point");
    }
    if (static_cast<int32_t>(part.shape.size()) != rank || part.bytes() % rows != 0) {
      return ConfigurationError(layer_ + ": input " + ShapeText(part.shape) +
                                " does not fit output " + ShapeText(output_.shape));
    }
    parts.push_back(static_cast<int32_t>(out_.arena.offset[index]));
    parts.push_back(static_cast<int32_t>(part.bytes() / rows));
    row_bytes += part.bytes() / rows;
  }
  if (row_bytes * rows != output_.bytes()) {
    return ConfigurationError(layer_ + ": the inputs do not add up to output " +
                              ShapeText(output_.shape));
  }
  if (!is_float_ && (l_.act_min > -128 || l_.act_max < 127)) {
    return ConfigurationError(layer_ + ": a fused activation on int8 concatenation");
  }
  l_.op = NN_CONCATENATION;
  l_.in = nn_dims{static_cast<int32_t>(rows), 1, 1, 1};
  l_.part_count = static_cast<uint32_t>(op_.inputs.size());
  l_.parts = Words(std::move(parts));
  return OkStatus();
}

Status LayerLowering::Logistic() {
  if (is_float_) {
    l_.op = NN_LOGISTIC;
  } else {
    LookupReal([](double x) { return 1 / (1 + std::exp(-x)); });
  }
  return OkStatus();
}

Status LayerLowering::Tanh() {
  if (is_float_) {
    l_.op = NN_TANH;
  } else {
    LookupReal([](double x) { return std::tanh(x); });
  }
  return OkStatus();
}

Status LayerLowering::Relu() {
  const Activation clamp = op_.kind == OpKind::kRelu ? Activation::kRelu : Activation::kRelu6;
  if (is_float_) {
    l_.op = NN_LOOKUP;  // a float clamp
    FloatRange(clamp, l_.fact_min, l_.fact_max);
    return OkStatus();
  }
  if (op_.kind == OpKind::kRelu6) {
    // TFLM's int8 RELU6 (which defines the bits, unlike TFLite's):
    // the input_'s value clamped to zero and six in the input_'s own
    // quantisation, and copied; no requantisation to the output_.
    const int32_t zero = ZeroPoint(input_);
    // (Bounded before the cast: a tiny scale puts six far outside int8.)
    const float six_steps = std::min(std::round(6.0f / static_cast<float>(Scale(input_))), 1000.0f);
    const int32_t six = std::clamp(static_cast<int32_t>(six_steps) + zero, -128, 127);
    Lookup([&](int32_t q) { return std::clamp(q, zero, six); });
    return OkStatus();
  }
  // TFLite's int8 RELU: requantise to the output_, then clamp.
  int32_t multiplier = 0, shift = 0, low = 0, high = 0;
  QuantizeMultiplier(Scale(input_) / Scale(output_), multiplier, shift);
  HIL_RETURN_IF_ERROR(Fits(255, shift, "rescaled input"));
  ActivationRange(clamp, output_, low, high);
  const int32_t in_zero = ZeroPoint(input_), out_zero = ZeroPoint(output_);
  Lookup([&](int32_t q) {
    return std::clamp(out_zero + nn_requantize(q - in_zero, multiplier, shift), low, high);
  });
  return OkStatus();
}

Status LayerLowering::Quantize() {
  if (is_float_) {  // float32 -> int8
    l_.op = NN_QUANTIZE;
    l_.scale = static_cast<float>(Scale(output_));
    return OkStatus();
  }
  // int8 -> int8: TFLite's requantisation, tabulated.
  int32_t multiplier = 0, shift = 0;
  QuantizeMultiplier(Scale(input_) / Scale(output_), multiplier, shift);
  HIL_RETURN_IF_ERROR(Fits(255, shift, "rescaled input"));
  const int32_t in_zero = ZeroPoint(input_), out_zero = ZeroPoint(output_);
  Lookup([&](int32_t q) { return out_zero + nn_requantize(q - in_zero, multiplier, shift); });
  return OkStatus();
}

Status LayerLowering::Dequantize() {
  l_.op = NN_DEQUANTIZE;
  l_.scale = static_cast<float>(Scale(input_));
  return OkStatus();
}

}  // namespace hil::model
