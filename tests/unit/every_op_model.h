// A small int8 network that uses every op hil's runtime lowers, wired as
// the published MLPerf Tiny networks use them: a residual block (conv,
// depthwise, conv, ADD) as in the image classification ResNet, explicit PAD
// before a strided layer as in the visual wake words MobileNet, and MUL,
// LOGISTIC, TANH, QUANTIZE, CONCATENATION, pooling, RELU, RESHAPE, FULLY_CONNECTED,
// SOFTMAX and DEQUANTIZE after them. Weights are random but fixed.
#pragma once

#include <random>

#include "tflite_writer.h"

namespace hil::testing {

inline std::vector<uint8_t> EveryOpModel() {
  using W = TfliteWriter;
  W w;
  std::mt19937 random(2026);
  const auto bytes = [&](size_t n) {
    std::vector<uint8_t> data(n);
    for (uint8_t& v : data) v = static_cast<uint8_t>(static_cast<int8_t>(random() % 255 - 127));
    return data;
  };
  const auto words = [&](size_t n, int32_t range) {
    std::vector<uint8_t> data(4 * n);
    for (size_t i = 0; i < n; ++i) {
      const int32_t v = static_cast<int32_t>(random() % (2 * range + 1)) - range;
      std::memcpy(&data[4 * i], &v, 4);
    }
    return data;
  };
  // A filter with one scale per output channel (axis 0, or 3 for depthwise).
  const auto filter = [&](const std::string& name, std::vector<int32_t> shape, int32_t axis,
                          float unit = 1) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    std::vector<float> scales;
    for (int32_t c = 0; c < shape[axis]; ++c) scales.push_back(unit * (0.004f + 0.0005f * c));
    std::vector<int64_t> zeros(scales.size(), 0);
    return w.Tensor({name, shape, kInt8, scales, zeros, axis, bytes(n)});
  };
  // As TFLite quantises biases: scale = input scale x filter scale, zero 0.
  const auto bias = [&](const std::string& name, int32_t channels, float input_scale,
                        float unit = 1) {
    std::vector<float> scales;
    for (int32_t c = 0; c < channels; ++c)
      scales.push_back(input_scale * unit * (0.004f + 0.0005f * c));
    std::vector<int64_t> zeros(scales.size(), 0);
    return w.Tensor({name, {channels}, kInt32, scales, zeros, 0, words(channels, 300)});
  };
  const auto conv_options = [](int8_t padding, int32_t stride, int8_t activation) {
    return std::vector<W::Field>{W::Byte(0, padding),    W::Int(1, stride), W::Int(2, stride),
                                 W::Byte(3, activation), W::Int(4, 1),      W::Int(5, 1)};
  };

  const int32_t input = w.Activation("input", {1, 8, 8, 4}, 0.02f, 0);
  // Residual block.
  const int32_t a = w.Activation("conv1", {1, 8, 8, 8}, 0.07f, -128);
  w.Op(kConv2D, {input, filter("conv1/w", {8, 3, 3, 4}, 0), bias("conv1/b", 8, 0.02f)}, {a},
       kConv2DOptions, conv_options(kSame, 1, kReluAct));
  const int32_t b = w.Activation("dw", {1, 8, 8, 8}, 0.0236f, -128);
  w.Op(kDepthwiseConv2D, {a, filter("dw/w", {1, 3, 3, 8}, 3), bias("dw/b", 8, 0.07f)}, {b},
       kDepthwiseConv2DOptions,
       {W::Byte(0, kSame), W::Int(1, 1), W::Int(2, 1), W::Int(3, 1), W::Byte(4, kRelu6Act),
        W::Int(5, 1), W::Int(6, 1)});
  const int32_t c = w.Activation("conv2", {1, 8, 8, 8}, 0.09f, 5);
  w.Op(kConv2D, {b, filter("conv2/w", {8, 1, 1, 8}, 0), bias("conv2/b", 8, 0.0236f)}, {c},
       kConv2DOptions, conv_options(kValid, 1, kNone));
  const int32_t d = w.Activation("add", {1, 8, 8, 8}, 0.12f, -128);
  w.Op(kAdd, {a, c}, {d}, kAddOptions, {W::Byte(0, kReluAct)});
  const int32_t e = w.Activation("mul", {1, 8, 8, 8}, 0.9f, 10);
  w.Op(kMul, {d, c}, {e}, kMulOptions, {W::Byte(0, kNone)});
  // Explicit padding, then a strided valid convolution.
  const int32_t pads[8] = {0, 0, 1, 0, 1, 0, 0, 0};  // one row on top, one column on the left
  std::vector<uint8_t> pad_bytes(sizeof pads);
  std::memcpy(pad_bytes.data(), pads, sizeof pads);
  const int32_t pad_tensor = w.Tensor({"paddings", {4, 2}, kInt32, {}, {}, 0, pad_bytes});
  const int32_t f = w.Activation("pad", {1, 9, 9, 8}, 0.9f, 10);
  w.Op(kPad, {e, pad_tensor}, {f});
  const int32_t g = w.Activation("strided", {1, 4, 4, 8}, 0.03f, 0);
  w.Op(kConv2D, {f, filter("strided/w", {8, 3, 3, 8}, 0, 0.02f), bias("strided/b", 8, 0.9f, 0.02f)},
       {g}, kConv2DOptions, conv_options(kValid, 2, kNone));
  // Two element-wise branches joined along the channels.
  const int32_t h = w.Activation("logistic", {1, 4, 4, 8}, 1.0f / 256, -128);
  w.Op(kLogistic, {g}, {h});
  const int32_t i = w.Activation("tanh", {1, 4, 4, 8}, 1.0f / 128, 0);
  w.Op(kTanh, {g}, {i});
  const int32_t j = w.Activation("requantised", {1, 4, 4, 8}, 1.0f / 128, 0);
  w.Op(kQuantize, {h}, {j});  // to the scale TANH's output has
  const int32_t k = w.Activation("concat", {1, 4, 4, 16}, 1.0f / 128, 0);
  w.Op(kConcatenation, {j, i}, {k}, kConcatenationOptions, {W::Int(0, 3), W::Byte(1, kNone)});
  const int32_t l = w.Activation("maxpool", {1, 2, 2, 16}, 1.0f / 128, 0);
  w.Op(kMaxPool2D, {k}, {l}, kPool2DOptions,
       {W::Byte(0, kValid), W::Int(1, 2), W::Int(2, 2), W::Int(3, 2), W::Int(4, 2),
        W::Byte(5, kNone)});
  const int32_t m = w.Activation("avgpool", {1, 1, 1, 16}, 1.0f / 128, 0);
  w.Op(kAveragePool2D, {l}, {m}, kPool2DOptions,
       {W::Byte(0, kValid), W::Int(1, 2), W::Int(2, 2), W::Int(3, 2), W::Int(4, 2),
        W::Byte(5, kNone)});
  // RELU6 keeps its input's quantisation, as converters write it: TFLM's
  // int8 RELU6 copies values and never requantises. RELU does requantise.
  const int32_t n = w.Activation("relu6", {1, 1, 1, 16}, 1.0f / 128, 0);
  w.Op(kRelu6, {m}, {n});
  const int32_t o = w.Activation("relu", {1, 1, 1, 16}, 0.01f, -128);
  w.Op(kRelu, {n}, {o});
  const int32_t p = w.Activation("flat", {1, 16}, 0.01f, -128);
  w.Op(kReshape, {o}, {p});
  const int32_t q = w.Activation("dense", {1, 10}, 0.03f, 0);
  w.Op(kFullyConnected, {p, filter("dense/w", {10, 16}, 0), bias("dense/b", 10, 0.01f)}, {q},
       kFullyConnectedOptions, {W::Byte(0, kNone), W::Byte(1, 0)});
  const int32_t r = w.Activation("softmax", {1, 10}, 1.0f / 256, -128);
  w.Op(kSoftmax, {q}, {r}, kSoftmaxOptions, {W::Float(0, 1.0f)});
  const int32_t s = w.Activation("probabilities", {1, 10}, 0, 0, kFloat32);
  w.Op(kDequantize, {r}, {s});
  return w.Finish({input}, {s});
}

}  // namespace hil::testing
