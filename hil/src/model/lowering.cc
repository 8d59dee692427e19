#include "hil/model/lowering.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "hil/model/tflite_reader.h"

namespace hil::model {
namespace {

struct Dims {
  int32_t n = 1, h = 1, w = 1, c = 1;
};

Dims NhwcOf(const Tensor& t) {
  Dims d;
  const std::vector<int32_t>& s = t.shape;
  if (s.size() == 4) return Dims{s[0], s[1], s[2], s[3]};
  if (s.size() == 3) return Dims{1, s[0], s[1], s[2]};
  if (s.size() == 2) return Dims{s[0], 1, 1, s[1]};
  if (s.size() == 1) return Dims{1, 1, 1, s[0]};
  return d;
}

nn_dims Raw(const Dims& d) { return nn_dims{d.n, d.h, d.w, d.c}; }

int32_t Output(int32_t in, int32_t kernel, int32_t stride, int32_t dilation, Padding padding) {
  const int32_t effective = (kernel - 1) * dilation + 1;
  return padding == Padding::kSame ? (in + stride - 1) / stride
                                   : (in - effective + stride) / stride;
}

int32_t PadBefore(int32_t in, int32_t out, int32_t kernel, int32_t stride, int32_t dilation) {
  const int32_t effective = (kernel - 1) * dilation + 1;
  return std::max(0, ((out - 1) * stride + effective - in) / 2);
}

double Scale(const Tensor& t, size_t channel = 0) {
  return t.quantization.scale.size() > channel ? t.quantization.scale[channel]
                                               : t.quantization.scale.at(0);
}
int32_t ZeroPoint(const Tensor& t) {
  return t.quantization.zero_point.empty() ? 0 : static_cast<int32_t>(t.quantization.zero_point[0]);
}

void ActivationRange(Activation activation, const Tensor& out, int32_t& low, int32_t& high) {
  const double scale = Scale(out);
  const int32_t zero = ZeroPoint(out);
  const auto quantize = [&](double x) {
    return zero + static_cast<int32_t>(std::round(x / scale));
  };
  low = -128, high = 127;
  switch (activation) {
    case Activation::kNone:
      break;
    case Activation::kRelu:
      low = std::max(low, quantize(0));
      break;
    case Activation::kRelu6:
      low = std::max(low, quantize(0));
      high = std::min(high, quantize(6));
      break;
    case Activation::kReluN1To1:
      low = std::max(low, quantize(-1));
      high = std::min(high, quantize(1));
      break;
  }
}

}  // namespace

void QuantizeMultiplier(double scale, int32_t& multiplier, int32_t& shift) {
  if (scale == 0) {
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

  const auto quantized_int8 = [&](int32_t index, const std::string& layer,
                                  const char* what) -> Status {
    if (index < 0) return ConfigurationError(layer + ": its " + what + " is missing");
    const Tensor& t = model.tensors[index];
    if (t.type != TensorType::kInt8 || !t.quantization.present()) {
      return ConfigurationError(layer + ": the " + what + " '" + t.name + "' is " +
                                TensorTypeName(t.type) +
                                "; hil's runtime takes int8 models quantised as TFLite does "
                                "(float32 models are not supported yet)");
    }
    return OkStatus();
  };

  for (size_t i = 0; i < model.operators.size(); ++i) {
    const Operator& op = model.operators[i];
    const std::string layer = "layer " + std::to_string(i) + " (" + OpName(op.kind) + ")";
    if (op.inputs.empty() || op.outputs.size() != 1) {
      return ConfigurationError(layer + ": expected inputs and one output");
    }
    HIL_RETURN_IF_ERROR(quantized_int8(op.inputs[0], layer, "input"));
    HIL_RETURN_IF_ERROR(quantized_int8(op.outputs[0], layer, "output"));
    const Tensor& input = model.tensors[op.inputs[0]];
    const Tensor& output = model.tensors[op.outputs[0]];
    if (input.constant())
      return ConfigurationError(layer + ": a constant first input is not supported");
    nn_layer l{};
    l.input = static_cast<uint32_t>(out.arena.offset[op.inputs[0]]);
    l.output = static_cast<uint32_t>(out.arena.offset[op.outputs[0]]);
    l.in = Raw(NhwcOf(input));
    l.out = Raw(NhwcOf(output));
    l.kernel_h = l.kernel_w = l.stride_h = l.stride_w = l.dilation_h = l.dilation_w = 1;
    l.depth_multiplier = 1;
    l.input_zero_point = ZeroPoint(input);
    l.output_zero_point = ZeroPoint(output);
    ActivationRange(op.activation, output, l.act_min, l.act_max);

    const auto weighted = [&](uint8_t kind) -> Status {
      if (op.inputs.size() < 2 || op.inputs[1] < 0)
        return ConfigurationError(layer + ": no filter");
      const Tensor& filter = model.tensors[op.inputs[1]];
      if (filter.type != TensorType::kInt8 || !filter.constant() ||
          !filter.quantization.present()) {
        return ConfigurationError(layer + ": the filter '" + filter.name +
                                  "' must be constant int8");
      }
      for (int64_t zero : filter.quantization.zero_point) {
        if (zero != 0)
          return ConfigurationError(layer + ": the filter is not symmetric (zero point " +
                                    std::to_string(zero) + ")");
      }
      l.op = kind;
      out.weights.emplace_back(filter.data.begin(), filter.data.end());
      l.weights = out.weights.back().data();
      const int32_t channels = l.out.c;
      if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        const Tensor& bias = model.tensors[op.inputs[2]];
        if (bias.type != TensorType::kInt32 || !bias.constant() || bias.elements() != channels) {
          return ConfigurationError(layer + ": the bias '" + bias.name + "' must be " +
                                    std::to_string(channels) + " constant int32 values");
        }
        std::vector<int32_t> values(channels);
        std::memcpy(values.data(), bias.data.data(), bias.data.size());
        out.words.push_back(std::move(values));
        l.bias = out.words.back().data();
      }
      const size_t scales = filter.quantization.scale.size();
      if (scales != 1 && scales != static_cast<size_t>(channels)) {
        return ConfigurationError(layer + ": " + std::to_string(scales) + " filter scales for " +
                                  std::to_string(channels) + " output channels");
      }
      l.per_channel = scales > 1;
      std::vector<int32_t> multipliers(scales), shifts(scales);
      for (size_t c = 0; c < scales; ++c) {
        QuantizeMultiplier(Scale(input) * Scale(filter, c) / Scale(output), multipliers[c],
                           shifts[c]);
      }
      out.words.push_back(std::move(multipliers));
      l.multiplier = out.words.back().data();
      out.words.push_back(std::move(shifts));
      l.shift = out.words.back().data();
      return OkStatus();
    };

    const auto window = [&](int32_t kernel_h, int32_t kernel_w) -> Status {
      if (kernel_h > 255 || kernel_w > 255 || op.stride_h > 255 || op.stride_w > 255 ||
          op.dilation_h > 255 || op.dilation_w > 255 || op.depth_multiplier > 255) {
        return ConfigurationError(layer + ": a kernel, stride or dilation above 255");
      }
      l.kernel_h = static_cast<uint8_t>(kernel_h), l.kernel_w = static_cast<uint8_t>(kernel_w);
      l.stride_h = static_cast<uint8_t>(op.stride_h),
      l.stride_w = static_cast<uint8_t>(op.stride_w);
      l.dilation_h = static_cast<uint8_t>(op.dilation_h);
      l.dilation_w = static_cast<uint8_t>(op.dilation_w);
      if (Output(l.in.h, kernel_h, op.stride_h, op.dilation_h, op.padding) != l.out.h ||
          Output(l.in.w, kernel_w, op.stride_w, op.dilation_w, op.padding) != l.out.w) {
        return ConfigurationError(layer +
                                  ": the output shape does not follow from the input, "
                                  "kernel, stride and padding");
      }
      if (op.padding == Padding::kSame) {
        l.pad_top =
            static_cast<int16_t>(PadBefore(l.in.h, l.out.h, kernel_h, op.stride_h, op.dilation_h));
        l.pad_left =
            static_cast<int16_t>(PadBefore(l.in.w, l.out.w, kernel_w, op.stride_w, op.dilation_w));
      }
      return OkStatus();
    };

    switch (op.kind) {
      case OpKind::kConv2D: {
        HIL_RETURN_IF_ERROR(weighted(NN_CONV_2D));
        const Tensor& filter = model.tensors[op.inputs[1]];
        if (filter.shape.size() != 4 || filter.shape[0] != l.out.c || filter.shape[3] != l.in.c) {
          return ConfigurationError(layer + ": filter shape " + ShapeText(filter.shape) +
                                    " does not fit the tensors");
        }
        HIL_RETURN_IF_ERROR(window(filter.shape[1], filter.shape[2]));
        break;
      }
      case OpKind::kDepthwiseConv2D: {
        HIL_RETURN_IF_ERROR(weighted(NN_DEPTHWISE_CONV_2D));
        const Tensor& filter = model.tensors[op.inputs[1]];
        if (filter.shape.size() != 4 || filter.shape[3] != l.out.c ||
            l.out.c != l.in.c * op.depth_multiplier) {
          return ConfigurationError(layer + ": filter shape " + ShapeText(filter.shape) +
                                    " does not fit the tensors");
        }
        HIL_RETURN_IF_ERROR(window(filter.shape[1], filter.shape[2]));
        l.depth_multiplier = static_cast<uint8_t>(op.depth_multiplier);
        break;
      }
      case OpKind::kFullyConnected: {
        const Tensor& filter =
            model.tensors[op.inputs.size() > 1 && op.inputs[1] >= 0 ? op.inputs[1] : op.inputs[0]];
        if (filter.shape.size() != 2) return ConfigurationError(layer + ": the filter must be 2-D");
        const int32_t units = filter.shape[0], depth = filter.shape[1];
        if (depth == 0 || input.elements() % depth != 0 ||
            output.elements() != input.elements() / depth * units) {
          return ConfigurationError(layer + ": filter " + ShapeText(filter.shape) +
                                    " does not fit input " + ShapeText(input.shape));
        }
        l.in = nn_dims{static_cast<int32_t>(input.elements() / depth), 1, 1, depth};
        l.out = nn_dims{l.in.n, 1, 1, units};
        HIL_RETURN_IF_ERROR(weighted(NN_FULLY_CONNECTED));
        break;
      }
      case OpKind::kAveragePool2D:
      case OpKind::kMaxPool2D:
        if (Scale(input) != Scale(output) || ZeroPoint(input) != ZeroPoint(output)) {
          return ConfigurationError(layer + ": pooling that rescales is not supported");
        }
        l.op = op.kind == OpKind::kAveragePool2D ? NN_AVERAGE_POOL_2D : NN_MAX_POOL_2D;
        HIL_RETURN_IF_ERROR(window(op.filter_h, op.filter_w));
        break;
      case OpKind::kReshape:
        if (input.elements() != output.elements()) {
          return ConfigurationError(layer + ": reshape changes the number of elements");
        }
        l.op = NN_RESHAPE;
        break;
      case OpKind::kSoftmax: {
        if (std::abs(Scale(output) - 1.0 / 256) > 1e-9 || ZeroPoint(output) != -128) {
          return ConfigurationError(layer +
                                    ": an int8 softmax output must have scale 1/256 and "
                                    "zero point -128");
        }
        l.op = NN_SOFTMAX;
        // beta x input scale, with 5 integer bits for the differences.
        const double real = std::min(static_cast<double>(op.beta) * Scale(input) * (1 << (31 - 5)),
                                     static_cast<double>((1ll << 31) - 1));
        QuantizeMultiplier(real, l.softmax_multiplier, l.softmax_shift);
        const double radius = ((1 << 5) - 1) * static_cast<double>(1ll << (31 - 5)) /
                              static_cast<double>(1ll << l.softmax_shift);
        l.softmax_diff_min = -static_cast<int32_t>(std::floor(radius));
        break;
      }
      default:
        return ConfigurationError(layer + ": " + OpName(op.kind) +
                                  " is read but not yet run by hil's int8 runtime");
    }
    out.layers.push_back(l);
    out.names.emplace_back(OpName(op.kind));
    out.macs.push_back(static_cast<uint32_t>(std::min<int64_t>(info[i].macs, UINT32_MAX)));
  }
  if (model.inputs.size() != 1 || model.outputs.size() != 1) {
    return ConfigurationError("hil runs models with one input and one output");
  }
  const Tensor& input = model.tensors[model.inputs[0]];
  const Tensor& output = model.tensors[model.outputs[0]];
  out.input = static_cast<uint32_t>(out.arena.offset[model.inputs[0]]);
  out.input_bytes = static_cast<uint32_t>(input.bytes());
  out.input_scale = static_cast<float>(Scale(input));
  out.input_zero_point = ZeroPoint(input);
  out.output = static_cast<uint32_t>(out.arena.offset[model.outputs[0]]);
  out.output_count = static_cast<uint32_t>(output.elements());
  out.output_scale = static_cast<float>(Scale(output));
  out.output_zero_point = ZeroPoint(output);
  return lowered;
}

Result<std::unique_ptr<LoweredModel>> LowerFile(const std::string& path, const std::string& id) {
  Result<Model> model = ReadTfliteFile(path);
  if (!model.ok()) return model.error();
  return Lower(*model, id);
}

Result<std::vector<int8_t>> RunReference(const LoweredModel& lowered,
                                         std::span<const uint8_t> input) {
  if (input.size() != lowered.input_bytes) {
    return ConfigurationError("the input has " + std::to_string(input.size()) +
                              " bytes; the model takes " + std::to_string(lowered.input_bytes));
  }
  std::vector<uint8_t> arena(static_cast<size_t>(lowered.arena.bytes) + 16);
  std::memcpy(&arena[lowered.input], input.data(), input.size());
  for (const nn_layer& layer : lowered.layers) nn_run_layer(&layer, arena.data());
  const int8_t* result = reinterpret_cast<const int8_t*>(&arena[lowered.output]);
  return std::vector<int8_t>(result, result + lowered.output_count);
}

}  // namespace hil::model
