#include "hil/model/tflite_writer.h"

namespace hil::model {
namespace {

using tflite::Writer;

Result<int8_t> TypeCode(const Tensor& tensor) {
  switch (tensor.type) {
    case TensorType::kFloat32:
      return int8_t{0};
    case TensorType::kInt32:
      return int8_t{2};
    case TensorType::kUInt8:
      return int8_t{3};
    case TensorType::kInt64:
      return int8_t{4};
    case TensorType::kBool:
      return int8_t{6};
    case TensorType::kInt16:
      return int8_t{7};
    case TensorType::kInt8:
      return int8_t{9};
    case TensorType::kOther:
      break;
  }
  return ConfigurationError("tensor " + tensor.name + " has a type a .tflite file cannot hold");
}

int8_t PaddingCode(Padding padding) {
  return padding == Padding::kSame ? tflite::kSame : tflite::kValid;
}

// hil's Activation has the schema's order: NONE, RELU, RELU_N1_TO_1, RELU6.
int8_t ActivationCode(Activation activation) { return static_cast<int8_t>(activation); }

// The builtin code, options table and fields of one operator, by the
// schema's field ids.
struct Encoded {
  int32_t code;
  uint8_t options_type = tflite::kNoOptions;
  std::vector<Writer::Field> options;
};

Encoded Encode(const Operator& op) {
  using W = Writer;
  const int8_t act = ActivationCode(op.activation);
  switch (op.kind) {
    case OpKind::kAdd:
      return {tflite::kAdd, tflite::kAddOptions, {W::Byte(0, act)}};
    case OpKind::kAveragePool2D:
    case OpKind::kMaxPool2D:
      return {op.kind == OpKind::kMaxPool2D ? tflite::kMaxPool2D : tflite::kAveragePool2D,
              tflite::kPool2DOptions,
              {W::Byte(0, PaddingCode(op.padding)), W::Int(1, op.stride_w), W::Int(2, op.stride_h),
               W::Int(3, op.filter_w), W::Int(4, op.filter_h), W::Byte(5, act)}};
    case OpKind::kConcatenation:
      return {tflite::kConcatenation,
              tflite::kConcatenationOptions,
              {W::Int(0, op.axis), W::Byte(1, act)}};
    case OpKind::kConv2D:
      return {tflite::kConv2D,
              tflite::kConv2DOptions,
              {W::Byte(0, PaddingCode(op.padding)), W::Int(1, op.stride_w), W::Int(2, op.stride_h),
               W::Byte(3, act), W::Int(4, op.dilation_w), W::Int(5, op.dilation_h)}};
    case OpKind::kDepthwiseConv2D:
      return {tflite::kDepthwiseConv2D,
              tflite::kDepthwiseConv2DOptions,
              {W::Byte(0, PaddingCode(op.padding)), W::Int(1, op.stride_w), W::Int(2, op.stride_h),
               W::Int(3, op.depth_multiplier), W::Byte(4, act), W::Int(5, op.dilation_w),
               W::Int(6, op.dilation_h)}};
    case OpKind::kDequantize:
      return {tflite::kDequantize, tflite::kNoOptions, {}};
    case OpKind::kFullyConnected:
      return {tflite::kFullyConnected, tflite::kFullyConnectedOptions, {W::Byte(0, act)}};
    case OpKind::kLogistic:
      return {tflite::kLogistic, tflite::kNoOptions, {}};
    case OpKind::kMul:
      return {tflite::kMul, tflite::kMulOptions, {W::Byte(0, act)}};
    case OpKind::kPad:
      return {tflite::kPad, tflite::kNoOptions, {}};
    case OpKind::kQuantize:
      return {tflite::kQuantize, tflite::kNoOptions, {}};
    case OpKind::kRelu:
      return {tflite::kRelu, tflite::kNoOptions, {}};
    case OpKind::kRelu6:
      return {tflite::kRelu6, tflite::kNoOptions, {}};
    case OpKind::kReshape:
      return {tflite::kReshape, tflite::kNoOptions, {}};
    case OpKind::kSoftmax:
      return {tflite::kSoftmax, tflite::kSoftmaxOptions, {W::Float(0, op.beta)}};
    case OpKind::kTanh:
      return {tflite::kTanh, tflite::kNoOptions, {}};
  }
  return {tflite::kReshape, tflite::kNoOptions, {}};  // unreachable: every OpKind is above
}

}  // namespace

Result<std::vector<uint8_t>> WriteTflite(const Model& model) {
  Writer writer;
  writer.Describe(model.description.empty() ? "written by hil" : model.description);
  for (const Tensor& tensor : model.tensors) {
    Result<int8_t> type = TypeCode(tensor);
    if (!type.ok()) return type.error();
    writer.Tensor({tensor.name, tensor.shape, *type, tensor.quantization.scale,
                   tensor.quantization.zero_point, tensor.quantization.axis, tensor.data});
  }
  for (const Operator& op : model.operators) {
    Encoded encoded = Encode(op);
    writer.Op(encoded.code, op.inputs, op.outputs, encoded.options_type,
              std::move(encoded.options));
  }
  return writer.Finish(model.inputs, model.outputs);
}

}  // namespace hil::model
