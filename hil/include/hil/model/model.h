// A network as hil's compiler and reference runtime see it: tensors (shape,
// type, quantisation, constant data) and a sequence of operators, read
// from a TensorFlow Lite flatbuffer by tflite_reader.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hil::model {

enum class TensorType : uint8_t { kFloat32, kInt32, kInt8, kUInt8, kInt16, kInt64, kBool, kOther };
const char* TensorTypeName(TensorType type);
// Bytes per element (0 for kOther).
size_t ElementBytes(TensorType type);

struct Quantization {
  std::vector<float> scale;  // one, or one per channel
  std::vector<int64_t> zero_point;
  int32_t axis = 0;  // the channel dimension when per channel
  bool present() const { return !scale.empty(); }
};

// The most elements a tensor may have (2^31): more than any MCU holds, and
// small enough that byte counts never overflow.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 31;

struct Tensor {
  std::string name;
  TensorType type = TensorType::kOther;
  std::vector<int32_t> shape;
  Quantization quantization;
  std::vector<uint8_t> data;  // constant contents (weights, biases); empty for activations
  bool constant() const { return !data.empty(); }
  int64_t elements() const;
  int64_t bytes() const { return elements() * static_cast<int64_t>(ElementBytes(type)); }
};

enum class OpKind : uint8_t {
  kAdd,
  kAveragePool2D,
  kConcatenation,
  kConv2D,
  kDepthwiseConv2D,
  kDequantize,
  kFullyConnected,
  kLogistic,
  kMaxPool2D,
  kMul,
  kPad,
  kQuantize,
  kRelu,
  kRelu6,
  kReshape,
  kSoftmax,
  kTanh,
};
const char* OpName(OpKind kind);  // as TFLite names it, e.g. "CONV_2D"

enum class Activation : uint8_t { kNone, kRelu, kReluN1To1, kRelu6 };
enum class Padding : uint8_t { kSame, kValid };

struct Operator {
  OpKind kind = OpKind::kAdd;
  std::vector<int32_t> inputs, outputs;  // tensor indices; -1 for an absent optional input
  Padding padding = Padding::kValid;
  int32_t stride_w = 1, stride_h = 1;
  int32_t dilation_w = 1, dilation_h = 1;
  int32_t filter_w = 1, filter_h = 1;  // pooling
  int32_t depth_multiplier = 1;
  int32_t axis = 0;  // concatenation
  float beta = 1;    // softmax
  Activation activation = Activation::kNone;
};

struct Model {
  uint32_t version = 0;
  std::string description;
  std::vector<Tensor> tensors;
  std::vector<Operator> operators;
  std::vector<int32_t> inputs, outputs;
};

}  // namespace hil::model
