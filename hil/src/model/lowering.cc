#include "hil/model/lowering.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "hil/model/tflite_reader.h"
#include "nn_fixedpoint.h"

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

// The fused activation of a float32 layer as a clamp.
void FloatRange(Activation activation, float& low, float& high) {
  low = -std::numeric_limits<float>::max(), high = std::numeric_limits<float>::max();
  switch (activation) {
    case Activation::kNone:
      break;
    case Activation::kRelu:
      low = 0;
      break;
    case Activation::kRelu6:
      low = 0, high = 6;
      break;
    case Activation::kReluN1To1:
      low = -1, high = 1;
      break;
  }
}

// A constant float32 tensor's bytes as floats the layer can point to.
const float* Floats(LoweredModel& out, const std::vector<uint8_t>& bytes) {
  std::vector<float> values(bytes.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  out.floats.push_back(std::move(values));
  return out.floats.back().data();
}

}  // namespace

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
    const Operator& op = model.operators[i];
    const std::string layer = "layer " + std::to_string(i) + " (" + OpName(op.kind) + ")";
    if (op.inputs.empty() || op.outputs.size() != 1) {
      return ConfigurationError(layer + ": expected inputs and one output");
    }
    if (op.inputs[0] < 0) return ConfigurationError(layer + ": its input is missing");
    const Tensor& input = model.tensors[op.inputs[0]];
    const Tensor& output = model.tensors[op.outputs[0]];
    if (input.constant())
      return ConfigurationError(layer + ": a constant first input is not supported");
    if (input.shape.size() > 4 || output.shape.size() > 4) {
      return ConfigurationError(layer + ": tensors of more than 4 dimensions are not supported");
    }
    // The arithmetic follows the first input, except QUANTIZE (float in).
    const bool is_float =
        op.kind == OpKind::kDequantize ? false : input.type == TensorType::kFloat32;
    const auto typed = [&](int32_t index, const char* what, bool want_float) -> Status {
      const Tensor& t = model.tensors[index];
      if (want_float ? t.type == TensorType::kFloat32
                     : t.type == TensorType::kInt8 && t.quantization.present()) {
        for (int64_t zero : t.quantization.zero_point) {
          if (zero < -128 || zero > 127) {
            return ConfigurationError(layer + ": the " + what + " '" + t.name +
                                      "' has zero point " + std::to_string(zero) +
                                      ", outside int8");
          }
        }
        for (float scale : t.quantization.scale) {
          if (!(scale > 0) || !std::isfinite(scale)) {
            return ConfigurationError(layer + ": the " + what + " '" + t.name + "' has scale " +
                                      std::to_string(scale) +
                                      "; scales must be positive and finite");
          }
        }
        return OkStatus();
      }
      return ConfigurationError(
          layer + ": the " + what + " '" + t.name + "' is " + TensorTypeName(t.type) +
          (want_float ? "" : " without quantisation") + "; this layer needs " +
          (want_float ? "float32" : "quantised int8") +
          " (hil's runtime takes int8 models quantised as TFLite does, "
          "and float32 models)");
    };
    const bool float_out =
        op.kind == OpKind::kDequantize || (is_float && op.kind != OpKind::kQuantize);
    HIL_RETURN_IF_ERROR(typed(op.inputs[0], "input", is_float));
    HIL_RETURN_IF_ERROR(typed(op.outputs[0], "output", float_out));

    nn_layer l{};
    l.number = is_float && op.kind != OpKind::kQuantize ? NN_FLOAT32 : NN_INT8;
    l.input = static_cast<uint32_t>(out.arena.offset[op.inputs[0]]);
    l.output = static_cast<uint32_t>(out.arena.offset[op.outputs[0]]);
    l.in = Raw(NhwcOf(input));
    l.out = Raw(NhwcOf(output));
    l.kernel_h = l.kernel_w = l.stride_h = l.stride_w = l.dilation_h = l.dilation_w = 1;
    l.depth_multiplier = 1;
    if (!is_float) l.input_zero_point = ZeroPoint(input);
    if (!float_out) {
      l.output_zero_point = ZeroPoint(output);
      ActivationRange(op.activation, output, l.act_min, l.act_max);
    }
    FloatRange(op.activation, l.fact_min, l.fact_max);

    // int32 arithmetic must not overflow (in C that is undefined, and the
    // DUT and the host could differ): |x| <= bound, shifted left by shift.
    const auto fits = [&](int64_t bound, int32_t shift, const char* what) -> Status {
      const int64_t limit = std::numeric_limits<int32_t>::max();
      if (bound <= limit && (shift <= 0 || (shift < 31 && bound <= (limit >> shift)))) {
        return OkStatus();
      }
      return ConfigurationError(layer + ": its " + what +
                                " could overflow 32 bits (the scales or the bias are far from "
                                "what a converter writes)");
    };
    // A second activation input of the same shape (ADD, MUL).
    const auto second_input = [&]() -> Status {
      if (op.inputs.size() != 2 || op.inputs[1] < 0)
        return ConfigurationError(layer + ": expected two inputs");
      const Tensor& other = model.tensors[op.inputs[1]];
      if (other.constant() || other.shape != input.shape || input.elements() != output.elements()) {
        return ConfigurationError(layer + ": inputs " + ShapeText(input.shape) + " and " +
                                  ShapeText(other.shape) + (other.constant() ? " (constant)" : "") +
                                  ": only two computed tensors of one shape are supported "
                                  "(no broadcasting)");
      }
      HIL_RETURN_IF_ERROR(typed(op.inputs[1], "second input", is_float));
      l.input2 = static_cast<uint32_t>(out.arena.offset[op.inputs[1]]);
      if (!is_float) l.input2_zero_point = ZeroPoint(other);
      return OkStatus();
    };
    const auto words = [&](std::vector<int32_t> values) {
      out.words.push_back(std::move(values));
      return out.words.back().data();
    };
    // An int8 -> int8 function of one value, tabulated for every input byte.
    const auto lookup = [&](const std::function<int32_t(int32_t)>& f) {
      std::vector<int8_t> table(256);
      for (int32_t q = -128; q <= 127; ++q) {
        table[static_cast<uint8_t>(q)] = static_cast<int8_t>(std::clamp(f(q), -128, 127));
      }
      out.weights.push_back(std::move(table));
      l.op = NN_LOOKUP;
      l.weights = out.weights.back().data();
    };
    // The real function f of a value, quantised as TFLite's int8 LUT kernels do.
    const auto lookup_real = [&](double (*f)(double)) {
      const double in_scale = Scale(input), out_scale = Scale(output);
      const int32_t in_zero = ZeroPoint(input), out_zero = ZeroPoint(output);
      lookup([&](int32_t q) {
        const double y = f(in_scale * (q - in_zero));
        return out_zero + static_cast<int32_t>(std::round(y / out_scale));
      });
    };

    const auto weighted = [&](uint8_t kind) -> Status {
      if (op.inputs.size() < 2 || op.inputs[1] < 0)
        return ConfigurationError(layer + ": no filter");
      const Tensor& filter = model.tensors[op.inputs[1]];
      l.op = kind;
      const int32_t channels = l.out.c;
      const bool has_bias = op.inputs.size() > 2 && op.inputs[2] >= 0;
      if (is_float) {
        if (filter.type != TensorType::kFloat32 || !filter.constant()) {
          return ConfigurationError(layer + ": the filter '" + filter.name +
                                    "' must be constant float32");
        }
        l.fweights = Floats(out, filter.data);
        if (has_bias) {
          const Tensor& bias = model.tensors[op.inputs[2]];
          if (bias.type != TensorType::kFloat32 || !bias.constant() ||
              bias.elements() != channels) {
            return ConfigurationError(layer + ": the bias '" + bias.name + "' must be " +
                                      std::to_string(channels) + " constant float32 values");
          }
          l.fbias = Floats(out, bias.data);
        }
        return OkStatus();
      }
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
      out.weights.emplace_back(filter.data.begin(), filter.data.end());
      l.weights = out.weights.back().data();
      if (has_bias) {
        const Tensor& bias = model.tensors[op.inputs[2]];
        if (bias.type != TensorType::kInt32 || !bias.constant() || bias.elements() != channels) {
          return ConfigurationError(layer + ": the bias '" + bias.name + "' must be " +
                                    std::to_string(channels) + " constant int32 values");
        }
        std::vector<int32_t> values(channels);
        std::memcpy(values.data(), bias.data.data(), bias.data.size());
        l.bias = words(std::move(values));
      }
      const size_t scales = filter.quantization.scale.size();
      if (scales != 1 && scales != static_cast<size_t>(channels)) {
        return ConfigurationError(layer + ": " + std::to_string(scales) + " filter scales for " +
                                  std::to_string(channels) + " output channels");
      }
      l.per_channel = scales > 1;
      std::vector<int32_t> multipliers(scales), shifts(scales);
      for (size_t c = 0; c < scales; ++c) {
        // TFLM's rule, which defines the bits: per channel (and for every
        // convolution) the scales multiply in double; a fully connected
        // layer with one filter scale multiplies input and filter scales in
        // float first (GetQuantizedConvolutionMultipler). The two differ in
        // the multiplier's last bits, enough to move an output that sits
        // next to a rounding tie (MLPerf's anomaly detection, final layer).
        const double product = kind == NN_FULLY_CONNECTED && scales == 1
                                   ? static_cast<double>(static_cast<float>(Scale(input)) *
                                                         static_cast<float>(Scale(filter, c)))
                                   : Scale(input) * Scale(filter, c);
        QuantizeMultiplier(product / Scale(output), multipliers[c], shifts[c]);
      }
      // Each tap adds at most |input - zero point| x |weight| <= 255 x 128.
      int64_t bias_max = 0;
      if (l.bias != nullptr) {
        for (int32_t c = 0; c < channels; ++c)
          bias_max = std::max<int64_t>(bias_max, std::abs(int64_t{l.bias[c]}));
      }
      const int64_t taps = channels > 0 ? filter.elements() / channels : 0;
      const int64_t bound = taps * 255 * 128 + bias_max;
      for (size_t c = 0; c < scales; ++c)
        HIL_RETURN_IF_ERROR(fits(bound, shifts[c], "accumulator"));
      l.multiplier = words(std::move(multipliers));
      l.shift = words(std::move(shifts));
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
    const auto same_quantisation = [&](const Tensor& a, const Tensor& b) {
      return is_float || (Scale(a) == Scale(b) && ZeroPoint(a) == ZeroPoint(b));
    };

    // What the kernels rely on: spatial ops keep the batch (pooling also
    // the channels), and ops that map element to element keep the count.
    switch (op.kind) {
      case OpKind::kAveragePool2D:
      case OpKind::kMaxPool2D:
        if (l.in.c != l.out.c) return ConfigurationError(layer + ": pooling changes the channels");
        [[fallthrough]];
      case OpKind::kConv2D:
      case OpKind::kDepthwiseConv2D:
      case OpKind::kPad:
        if (l.in.n != l.out.n) return ConfigurationError(layer + ": the batch size changes");
        break;
      case OpKind::kSoftmax:
      case OpKind::kLogistic:
      case OpKind::kTanh:
      case OpKind::kRelu:
      case OpKind::kRelu6:
      case OpKind::kQuantize:
      case OpKind::kDequantize:
        if (input.elements() != output.elements() || l.in.c != l.out.c) {
          return ConfigurationError(layer + ": input " + ShapeText(input.shape) + " and output " +
                                    ShapeText(output.shape) + " differ");
        }
        break;
      default:
        break;
    }
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
        if (!same_quantisation(input, output)) {
          return ConfigurationError(layer + ": pooling that rescales is not supported");
        }
        l.op = op.kind == OpKind::kAveragePool2D ? NN_AVERAGE_POOL_2D : NN_MAX_POOL_2D;
        HIL_RETURN_IF_ERROR(window(op.filter_h, op.filter_w));
        break;
      case OpKind::kReshape:
        if (input.elements() != output.elements()) {
          return ConfigurationError(layer + ": reshape changes the number of elements");
        }
        if (!same_quantisation(input, output)) {
          return ConfigurationError(layer + ": a reshape that rescales is not supported");
        }
        l.op = NN_RESHAPE;
        break;
      case OpKind::kSoftmax: {
        l.op = NN_SOFTMAX;
        if (is_float) {
          l.scale = op.beta;
          break;
        }
        if (std::abs(Scale(output) - 1.0 / 256) > 1e-9 || ZeroPoint(output) != -128) {
          return ConfigurationError(layer +
                                    ": an int8 softmax output must have scale 1/256 and "
                                    "zero point -128");
        }
        // beta x input scale, with 5 integer bits for the differences.
        const double real = std::min(static_cast<double>(op.beta) * Scale(input) * (1 << (31 - 5)),
                                     static_cast<double>((1ll << 31) - 1));
        QuantizeMultiplier(real, l.softmax_multiplier, l.softmax_shift);
        const double radius = ((1 << 5) - 1) * static_cast<double>(1ll << (31 - 5)) /
                              static_cast<double>(1ll << l.softmax_shift);
        l.softmax_diff_min = -static_cast<int32_t>(std::floor(radius));
        break;
      }
      case OpKind::kAdd: {
        HIL_RETURN_IF_ERROR(second_input());
        l.op = NN_ADD;
        if (is_float) break;
        // TFLite's int8 ADD: inputs rescaled to twice the larger input scale
        // with 20 bits of headroom.
        const Tensor& other = model.tensors[op.inputs[1]];
        const double twice_max = 2 * std::max(Scale(input), Scale(other));
        std::vector<int32_t> multipliers(3), shifts(3);
        QuantizeMultiplier(Scale(input) / twice_max, multipliers[0], shifts[0]);
        QuantizeMultiplier(Scale(other) / twice_max, multipliers[1], shifts[1]);
        QuantizeMultiplier(twice_max / ((1 << 20) * Scale(output)), multipliers[2], shifts[2]);
        // Each input scaled by at most 1/2, so their sum stays under 255 x 2^20.
        for (int k = 0; k < 3; ++k) HIL_RETURN_IF_ERROR(fits(255 << 20, shifts[k], "sum"));
        l.multiplier = words(std::move(multipliers));
        l.shift = words(std::move(shifts));
        break;
      }
      case OpKind::kMul: {
        HIL_RETURN_IF_ERROR(second_input());
        l.op = NN_MUL;
        if (is_float) break;
        const Tensor& other = model.tensors[op.inputs[1]];
        std::vector<int32_t> multiplier(1), shift(1);
        QuantizeMultiplier(Scale(input) * Scale(other) / Scale(output), multiplier[0], shift[0]);
        HIL_RETURN_IF_ERROR(fits(255 * 255, shift[0], "product"));
        l.multiplier = words(std::move(multiplier));
        l.shift = words(std::move(shift));
        break;
      }
      case OpKind::kPad: {
        if (op.inputs.size() < 2 || op.inputs[1] < 0)
          return ConfigurationError(layer + ": no paddings tensor");
        const Tensor& paddings = model.tensors[op.inputs[1]];
        const size_t rank = input.shape.size();
        if (paddings.type != TensorType::kInt32 || !paddings.constant() ||
            paddings.elements() != static_cast<int64_t>(2 * rank) || rank < 1 || rank > 4) {
          return ConfigurationError(layer + ": the paddings '" + paddings.name +
                                    "' must be a constant int32 [rank, 2] for 1 to 4 dimensions");
        }
        if (!same_quantisation(input, output)) {
          return ConfigurationError(layer + ": a pad that rescales is not supported");
        }
        std::vector<int32_t> pads(2 * rank);
        std::memcpy(pads.data(), paddings.data.data(), pads.size() * 4);
        // Dimensions right-aligned to NHWC, as NhwcOf reads shapes.
        int32_t before[4] = {0, 0, 0, 0};
        for (size_t d = 0; d < rank; ++d) {
          if (pads[2 * d] < 0 || pads[2 * d + 1] < 0)
            return ConfigurationError(layer + ": a negative padding");
          before[4 - rank + d] = pads[2 * d];
        }
        if (before[0] != 0 || l.out.n != l.in.n) {
          return ConfigurationError(layer + ": padding the batch dimension is not supported");
        }
        if (before[1] > INT16_MAX || before[2] > INT16_MAX || before[3] > INT16_MAX) {
          return ConfigurationError(layer + ": a padding above 32767");
        }
        l.op = NN_PAD;
        l.pad_top = static_cast<int16_t>(before[1]);
        l.pad_left = static_cast<int16_t>(before[2]);
        l.pad_channel = static_cast<int16_t>(before[3]);
        if (l.out.h < l.in.h + before[1] || l.out.w < l.in.w + before[2] ||
            l.out.c < l.in.c + before[3]) {
          return ConfigurationError(layer + ": the output shape does not fit the paddings");
        }
        break;
      }
      case OpKind::kConcatenation: {
        const int32_t rank = static_cast<int32_t>(output.shape.size());
        const int32_t axis = op.axis < 0 ? op.axis + rank : op.axis;
        if (axis < 0 || axis >= rank) {
          return ConfigurationError(layer + ": axis " + std::to_string(op.axis) + " of a rank " +
                                    std::to_string(rank) + " output");
        }
        int64_t rows = 1;
        for (int32_t d = 0; d < axis; ++d) rows *= output.shape[d];
        std::vector<int32_t> parts;
        int64_t row_bytes = 0;
        for (int32_t index : op.inputs) {
          if (index < 0) return ConfigurationError(layer + ": an input is missing");
          const Tensor& part = model.tensors[index];
          if (part.constant())
            return ConfigurationError(layer + ": a constant input is not supported");
          HIL_RETURN_IF_ERROR(typed(index, "input", is_float));
          if (!same_quantisation(part, output)) {
            return ConfigurationError(layer + ": input '" + part.name +
                                      "' is quantised unlike the output; hil concatenates "
                                      "int8 tensors of one scale and zero point");
          }
          if (static_cast<int32_t>(part.shape.size()) != rank || part.bytes() % rows != 0) {
            return ConfigurationError(layer + ": input " + ShapeText(part.shape) +
                                      " does not fit output " + ShapeText(output.shape));
          }
          parts.push_back(static_cast<int32_t>(out.arena.offset[index]));
          parts.push_back(static_cast<int32_t>(part.bytes() / rows));
          row_bytes += part.bytes() / rows;
        }
        if (row_bytes * rows != output.bytes()) {
          return ConfigurationError(layer + ": the inputs do not add up to output " +
                                    ShapeText(output.shape));
        }
        if (!is_float && (l.act_min > -128 || l.act_max < 127)) {
          return ConfigurationError(layer + ": a fused activation on int8 concatenation");
        }
        l.op = NN_CONCATENATION;
        l.in = nn_dims{static_cast<int32_t>(rows), 1, 1, 1};
        l.part_count = static_cast<uint32_t>(op.inputs.size());
        l.parts = words(std::move(parts));
        break;
      }
      case OpKind::kLogistic:
        if (is_float) {
          l.op = NN_LOGISTIC;
        } else {
          lookup_real([](double x) { return 1 / (1 + std::exp(-x)); });
        }
        break;
      case OpKind::kTanh:
        if (is_float) {
          l.op = NN_TANH;
        } else {
          lookup_real([](double x) { return std::tanh(x); });
        }
        break;
      case OpKind::kRelu:
      case OpKind::kRelu6: {
        const Activation clamp = op.kind == OpKind::kRelu ? Activation::kRelu : Activation::kRelu6;
        if (is_float) {
          l.op = NN_LOOKUP;  // a float clamp
          FloatRange(clamp, l.fact_min, l.fact_max);
          break;
        }
        if (op.kind == OpKind::kRelu6) {
          // TFLM's int8 RELU6 (which defines the bits, unlike TFLite's):
          // the input's value clamped to zero and six in the input's own
          // quantisation, and copied; no requantisation to the output.
          const int32_t zero = ZeroPoint(input);
          // (Bounded before the cast: a tiny scale puts six far outside int8.)
          const float six_steps =
              std::min(std::round(6.0f / static_cast<float>(Scale(input))), 1000.0f);
          const int32_t six = std::clamp(static_cast<int32_t>(six_steps) + zero, -128, 127);
          lookup([&](int32_t q) { return std::clamp(q, zero, six); });
          break;
        }
        // TFLite's int8 RELU: requantise to the output, then clamp.
        int32_t multiplier = 0, shift = 0, low = 0, high = 0;
        QuantizeMultiplier(Scale(input) / Scale(output), multiplier, shift);
        HIL_RETURN_IF_ERROR(fits(255, shift, "rescaled input"));
        ActivationRange(clamp, output, low, high);
        const int32_t in_zero = ZeroPoint(input), out_zero = ZeroPoint(output);
        lookup([&](int32_t q) {
          return std::clamp(out_zero + nn_requantize(q - in_zero, multiplier, shift), low, high);
        });
        break;
      }
      case OpKind::kQuantize: {
        if (is_float) {  // float32 -> int8
          l.op = NN_QUANTIZE;
          l.scale = static_cast<float>(Scale(output));
          break;
        }
        // int8 -> int8: TFLite's requantisation, tabulated.
        int32_t multiplier = 0, shift = 0;
        QuantizeMultiplier(Scale(input) / Scale(output), multiplier, shift);
        HIL_RETURN_IF_ERROR(fits(255, shift, "rescaled input"));
        const int32_t in_zero = ZeroPoint(input), out_zero = ZeroPoint(output);
        lookup([&](int32_t q) { return out_zero + nn_requantize(q - in_zero, multiplier, shift); });
        break;
      }
      case OpKind::kDequantize:
        l.op = NN_DEQUANTIZE;
        l.scale = static_cast<float>(Scale(input));
        break;
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
