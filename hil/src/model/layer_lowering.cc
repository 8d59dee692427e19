#include "layer_lowering.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

// A constant float32 tensor's bytes as floats the layer can point to.
const float* Floats(LoweredModel& out, const std::vector<uint8_t>& bytes) {
  std::vector<float> values(bytes.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  out.floats.push_back(std::move(values));
  return out.floats.back().data();
}

}  // namespace

double Scale(const Tensor& t, size_t channel) {
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

const LayerLowering::OperatorEntry LayerLowering::kOperators[] = {
    {OpKind::kAdd, &LayerLowering::Add},
    {OpKind::kAveragePool2D, &LayerLowering::Pool},
    {OpKind::kConcatenation, &LayerLowering::Concatenation},
    {OpKind::kConv2D, &LayerLowering::Conv2D},
    {OpKind::kDepthwiseConv2D, &LayerLowering::DepthwiseConv2D},
    {OpKind::kDequantize, &LayerLowering::Dequantize},
    {OpKind::kFullyConnected, &LayerLowering::FullyConnected},
    {OpKind::kLogistic, &LayerLowering::Logistic},
    {OpKind::kMaxPool2D, &LayerLowering::Pool},
    {OpKind::kMul, &LayerLowering::Mul},
    {OpKind::kPad, &LayerLowering::Pad},
    {OpKind::kQuantize, &LayerLowering::Quantize},
    {OpKind::kRelu, &LayerLowering::Relu},
    {OpKind::kRelu6, &LayerLowering::Relu},
    {OpKind::kReshape, &LayerLowering::Reshape},
    {OpKind::kSoftmax, &LayerLowering::Softmax},
    {OpKind::kTanh, &LayerLowering::Tanh},
};

Result<nn_layer> LayerLowering::Lower(const Model& model, size_t index, LoweredModel& out) {
  const Operator& op = model.operators[index];
  std::string layer = "layer " + std::to_string(index) + " (" + OpName(op.kind) + ")";
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
  const auto entry = std::find_if(std::begin(kOperators), std::end(kOperators),
                                  [&](const OperatorEntry& e) { return e.kind == op.kind; });
  if (entry == std::end(kOperators)) {
    return ConfigurationError(layer + ": hil's runtime has no kernel for this operator");
  }
  LayerLowering lowering(model, op, std::move(layer), out);
  HIL_RETURN_IF_ERROR(lowering.Prepare());
  HIL_RETURN_IF_ERROR(lowering.CheckShapes());
  HIL_RETURN_IF_ERROR((lowering.*(entry->lower))());
  return lowering.l_;
}

LayerLowering::LayerLowering(const Model& model, const Operator& op, std::string layer,
                             LoweredModel& out)
    : model_(model),
      op_(op),
      layer_(std::move(layer)),
      out_(out),
      input_(model.tensors[op.inputs[0]]),
      output_(model.tensors[op.outputs[0]]),
      is_float_(op.kind != OpKind::kDequantize && input_.type == TensorType::kFloat32) {}

Status LayerLowering::Prepare() {
  const bool float_out =
      op_.kind == OpKind::kDequantize || (is_float_ && op_.kind != OpKind::kQuantize);
  HIL_RETURN_IF_ERROR(Typed(op_.inputs[0], "input", is_float_));
  HIL_RETURN_IF_ERROR(Typed(op_.outputs[0], "output", float_out));

  l_.number = is_float_ && op_.kind != OpKind::kQuantize ? NN_FLOAT32 : NN_INT8;
  l_.input = static_cast<uint32_t>(out_.arena.offset[op_.inputs[0]]);
  l_.output = static_cast<uint32_t>(out_.arena.offset[op_.outputs[0]]);
  l_.in = Raw(NhwcOf(input_));
  l_.out = Raw(NhwcOf(output_));
  l_.kernel_h = l_.kernel_w = l_.stride_h = l_.stride_w = l_.dilation_h = l_.dilation_w = 1;
  l_.depth_multiplier = 1;
  if (!is_float_) l_.input_zero_point = ZeroPoint(input_);
  if (!float_out) {
    l_.output_zero_point = ZeroPoint(output_);
    ActivationRange(op_.activation, output_, l_.act_min, l_.act_max);
  }
  FloatRange(op_.activation, l_.fact_min, l_.fact_max);

  // int32 arithmetic must not overflow (in C that is undefined, and the
  return OkStatus();
}

Status LayerLowering::Typed(int32_t index, const char* what, bool want_float) const {
  const Tensor& t = model_.tensors[index];
  if (want_float ? t.type == TensorType::kFloat32
                 : t.type == TensorType::kInt8 && t.quantization.present()) {
    for (int64_t zero : t.quantization.zero_point) {
      if (zero < -128 || zero > 127) {
        return ConfigurationError(layer_ + ": the " + what + " '" + t.name + "' has zero point " +
                                  std::to_string(zero) + ", outside int8");
      }
    }
    for (float scale : t.quantization.scale) {
      if (!(scale > 0) || !std::isfinite(scale)) {
        return ConfigurationError(layer_ + ": the " + what + " '" + t.name + "' has scale " +
                                  std::to_string(scale) + "; scales must be positive and finite");
      }
    }
    return OkStatus();
  }
  return ConfigurationError(layer_ + ": the " + what + " '" + t.name + "' is " +
                            TensorTypeName(t.type) + (want_float ? "" : " without quantisation") +
                            "; this layer needs " + (want_float ? "float32" : "quantised int8") +
                            " (hil's runtime takes int8 models quantised as TFLite does, "
                            "and float32 models)");
}

// int32 arithmetic must not overflow (in C that is undefined, and the
// DUT and the host could differ): |x| <= bound, shifted left by shift.
Status LayerLowering::Fits(int64_t bound, int32_t shift, const char* what) const {
  const int64_t limit = std::numeric_limits<int32_t>::max();
  if (bound <= limit && (shift <= 0 || (shift < 31 && bound <= (limit >> shift)))) {
    return OkStatus();
  }
  return ConfigurationError(layer_ + ": its " + what +
                            " could overflow 32 bits (the scales or the bias are far from "
                            "what a converter writes)");
}

// A second activation input of the same shape (ADD, MUL).
Status LayerLowering::SecondInput() {
  if (op_.inputs.size() != 2 || op_.inputs[1] < 0)
    return ConfigurationError(layer_ + ": expected two inputs");
  const Tensor& other = model_.tensors[op_.inputs[1]];
  if (other.constant() || other.shape != input_.shape || input_.elements() != output_.elements()) {
    return ConfigurationError(layer_ + ": inputs " + ShapeText(input_.shape) + " and " +
                              ShapeText(other.shape) + (other.constant() ? " (constant)" : "") +
                              ": only two computed tensors of one shape are supported "
                              "(no broadcasting)");
  }
  HIL_RETURN_IF_ERROR(Typed(op_.inputs[1], "second input", is_float_));
  l_.input2 = static_cast<uint32_t>(out_.arena.offset[op_.inputs[1]]);
  if (!is_float_) l_.input2_zero_point = ZeroPoint(other);
  return OkStatus();
}

const int32_t* LayerLowering::Words(std::vector<int32_t> values) {
  out_.words.push_back(std::move(values));
  return out_.words.back().data();
}

// An int8 -> int8 function of one value, tabulated for every input byte.
void LayerLowering::Lookup(const std::function<int32_t(int32_t)>& f) {
  std::vector<int8_t> table(256);
  for (int32_t q = -128; q <= 127; ++q) {
    table[static_cast<uint8_t>(q)] = static_cast<int8_t>(std::clamp(f(q), -128, 127));
  }
  out_.weights.push_back(std::move(table));
  l_.op = NN_LOOKUP;
  l_.weights = out_.weights.back().data();
}

// The real function f of a value, quantised as TFLite's int8 LUT kernels do.
void LayerLowering::LookupReal(double (*f)(double)) {
  const double in_scale = Scale(input_), out_scale = Scale(output_);
  const int32_t in_zero = ZeroPoint(input_), out_zero = ZeroPoint(output_);
  Lookup([&](int32_t q) {
    const double y = f(in_scale * (q - in_zero));
    return out_zero + static_cast<int32_t>(std::round(y / out_scale));
  });
}

Status LayerLowering::Weighted(uint8_t kind) {
  if (op_.inputs.size() < 2 || op_.inputs[1] < 0) return ConfigurationError(layer_ + ": no filter");
  const Tensor& filter = model_.tensors[op_.inputs[1]];
  l_.op = kind;
  const int32_t channels = l_.out.c;
  const bool has_bias = op_.inputs.size() > 2 && op_.inputs[2] >= 0;
  if (is_float_) {
    if (filter.type != TensorType::kFloat32 || !filter.constant()) {
      return ConfigurationError(layer_ + ": the filter '" + filter.name +
                                "' must be constant float32");
    }
    l_.fweights = Floats(out_, filter.data);
    if (has_bias) {
      const Tensor& bias = model_.tensors[op_.inputs[2]];
      if (bias.type != TensorType::kFloat32 || !bias.constant() || bias.elements() != channels) {
        return ConfigurationError(layer_ + ": the bias '" + bias.name + "' must be " +
                                  std::to_string(channels) + " constant float32 values");
      }
      l_.fbias = Floats(out_, bias.data);
    }
    return OkStatus();
  }
  if (filter.type != TensorType::kInt8 || !filter.constant() || !filter.quantization.present()) {
    return ConfigurationError(layer_ + ": the filter '" + filter.name + "' must be constant int8");
  }
  for (int64_t zero : filter.quantization.zero_point) {
    if (zero != 0)
      return ConfigurationError(layer_ + ": the filter is not symmetric (zero point " +
                                std::to_string(zero) + ")");
  }
  out_.weights.emplace_back(filter.data.begin(), filter.data.end());
  l_.weights = out_.weights.back().data();
  if (has_bias) {
    const Tensor& bias = model_.tensors[op_.inputs[2]];
    if (bias.type != TensorType::kInt32 || !bias.constant() || bias.elements() != channels) {
      return ConfigurationError(layer_ + ": the bias '" + bias.name + "' must be " +
                                std::to_string(channels) + " constant int32 values");
    }
    std::vector<int32_t> values(channels);
    std::memcpy(values.data(), bias.data.data(), bias.data.size());
    l_.bias = Words(std::move(values));
  }
  const size_t scales = filter.quantization.scale.size();
  if (scales != 1 && scales != static_cast<size_t>(channels)) {
    return ConfigurationError(layer_ + ": " + std::to_string(scales) + " filter scales for " +
                              std::to_string(channels) + " output channels");
  }
  l_.per_channel = scales > 1;
  std::vector<int32_t> multipliers(scales), shifts(scales);
  for (size_t c = 0; c < scales; ++c) {
    // TFLM's rule, which defines the bits: per channel (and for every
    // convolution) the scales multiply in double; a fully connected
    // layer_ with one filter scale multiplies input_ and filter scales in
    // float first (GetQuantizedConvolutionMultipler). The two differ in
    // the multiplier's last bits, enough to move an output_ that sits
    // next to a rounding tie (MLPerf's anomaly detection, final layer_).
    const double product = kind == NN_FULLY_CONNECTED && scales == 1
                               ? static_cast<double>(static_cast<float>(Scale(input_)) *
                                                     static_cast<float>(Scale(filter, c)))
                               : Scale(input_) * Scale(filter, c);
    QuantizeMultiplier(product / Scale(output_), multipliers[c], shifts[c]);
  }
  // Each tap adds at most |input_ - zero point| x |weight| <= 255 x 128.
  int64_t bias_max = 0;
  if (l_.bias != nullptr) {
    for (int32_t c = 0; c < channels; ++c)
      bias_max = std::max<int64_t>(bias_max, std::abs(int64_t{l_.bias[c]}));
  }
  const int64_t taps = channels > 0 ? filter.elements() / channels : 0;
  const int64_t bound = taps * 255 * 128 + bias_max;
  for (size_t c = 0; c < scales; ++c) HIL_RETURN_IF_ERROR(Fits(bound, shifts[c], "accumulator"));
  l_.multiplier = Words(std::move(multipliers));
  l_.shift = Words(std::move(shifts));
  return OkStatus();
}

Status LayerLowering::Window(int32_t kernel_h, int32_t kernel_w) {
  if (kernel_h > 255 || kernel_w > 255 || op_.stride_h > 255 || op_.stride_w > 255 ||
      op_.dilation_h > 255 || op_.dilation_w > 255 || op_.depth_multiplier > 255) {
    return ConfigurationError(layer_ + ": a kernel, stride or dilation above 255");
  }
  l_.kernel_h = static_cast<uint8_t>(kernel_h), l_.kernel_w = static_cast<uint8_t>(kernel_w);
  l_.stride_h = static_cast<uint8_t>(op_.stride_h),
  l_.stride_w = static_cast<uint8_t>(op_.stride_w);
  l_.dilation_h = static_cast<uint8_t>(op_.dilation_h);
  l_.dilation_w = static_cast<uint8_t>(op_.dilation_w);
  if (Output(l_.in.h, kernel_h, op_.stride_h, op_.dilation_h, op_.padding) != l_.out.h ||
      Output(l_.in.w, kernel_w, op_.stride_w, op_.dilation_w, op_.padding) != l_.out.w) {
    return ConfigurationError(layer_ +
                              ": the output shape does not follow from the input, "
                              "kernel, stride and padding");
  }
  if (op_.padding == Padding::kSame) {
    l_.pad_top =
        static_cast<int16_t>(PadBefore(l_.in.h, l_.out.h, kernel_h, op_.stride_h, op_.dilation_h));
    l_.pad_left =
        static_cast<int16_t>(PadBefore(l_.in.w, l_.out.w, kernel_w, op_.stride_w, op_.dilation_w));
  }
  return OkStatus();
}

bool LayerLowering::SameQuantisation(const Tensor& a, const Tensor& b) const {
  return is_float_ || (Scale(a) == Scale(b) && ZeroPoint(a) == ZeroPoint(b));
}

// What the kernels rely on: spatial ops keep the batch (pooling also
// the channels), and ops that map element to element keep the count.
Status LayerLowering::CheckShapes() const {
  switch (op_.kind) {
    case OpKind::kAveragePool2D:
    case OpKind::kMaxPool2D:
      if (l_.in.c != l_.out.c) return ConfigurationError(layer_ + ": pooling changes the channels");
      [[fallthrough]];
    case OpKind::kConv2D:
    case OpKind::kDepthwiseConv2D:
    case OpKind::kPad:
      if (l_.in.n != l_.out.n) return ConfigurationError(layer_ + ": the batch size changes");
      return OkStatus();
    case OpKind::kSoftmax:
    case OpKind::kLogistic:
    case OpKind::kTanh:
    case OpKind::kRelu:
    case OpKind::kRelu6:
    case OpKind::kQuantize:
    case OpKind::kDequantize:
      if (input_.elements() != output_.elements() || l_.in.c != l_.out.c) {
        return ConfigurationError(layer_ + ": input " + ShapeText(input_.shape) + " and output " +
                                  ShapeText(output_.shape) + " differ");
      }
      return OkStatus();
    default:
      return OkStatus();
  }
}

}  // namespace hil::model
