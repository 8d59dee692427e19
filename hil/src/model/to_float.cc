#include "hil/model/to_float.h"

#include <cstring>

namespace hil::model {
namespace {

// The float value of every element of a quantised constant, channel by
// channel along the quantised axis.
std::vector<uint8_t> Dequantized(const Tensor& t) {
  const int64_t n = t.elements();
  const Quantization& q = t.quantization;
  const int axis = q.axis >= 0 && q.axis < static_cast<int>(t.shape.size()) ? q.axis : 0;
  int64_t inner = 1;  // elements per step along the axis
  for (size_t d = axis + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  const int64_t channels = t.shape.empty() ? 1 : t.shape[axis];
  std::vector<uint8_t> bytes(static_cast<size_t>(n) * sizeof(float));
  for (int64_t i = 0; i < n; ++i) {
    const size_t c = q.scale.size() > 1 ? static_cast<size_t>((i / inner) % channels) : 0;
    const double scale = q.scale.at(c);
    const int64_t zero = q.zero_point.size() > c ? q.zero_point[c] : 0;
    int64_t value = 0;
    if (t.type == TensorType::kInt8) {
      value = static_cast<int8_t>(t.data[i]);
    } else {
      int32_t word = 0;
      std::memcpy(&word, &t.data[4 * i], 4);
      value = word;
    }
    // In double: a file's zero point can be any int64, and int64 - int64
    // overflows (the fuzzer found one).
    const float real =
        static_cast<float>(scale * (static_cast<double>(value) - static_cast<double>(zero)));
    std::memcpy(&bytes[4 * i], &real, 4);
  }
  return bytes;
}

bool Quantized(const Tensor& t) {
  return (t.type == TensorType::kInt8 || t.type == TensorType::kInt32) && t.quantization.present();
}

}  // namespace

Model ToFloat32(const Model& model) {
  bool any = false;
  for (const Tensor& t : model.tensors) any |= t.type == TensorType::kInt8;
  if (!any) return model;
  Model out = model;
  for (Tensor& t : out.tensors) {
    if (t.constant()) {
      // Filters and biases; plain int32 constants (shapes, paddings) stay.
      if (Quantized(t)) {
        t.data = Dequantized(t);
        t.type = TensorType::kFloat32;
        t.quantization = {};
      }
    } else if (t.type == TensorType::kInt8) {
      t.type = TensorType::kFloat32;
      t.quantization = {};
    }
  }
  // Requantisation has nothing to do in float: a copy keeps the layer.
  for (Operator& op : out.operators) {
    if (op.kind == OpKind::kQuantize || op.kind == OpKind::kDequantize) {
      op.kind = OpKind::kReshape;
      op.inputs.resize(1);
    }
  }
  // An int8 graph input stays int8 and is dequantised by a first layer.
  for (int32_t& index : out.inputs) {
    const Tensor& original = model.tensors[index];
    if (original.type != TensorType::kInt8) continue;
    const int32_t as_float = index;
    out.tensors.push_back(original);
    const int32_t kept = static_cast<int32_t>(out.tensors.size()) - 1;
    out.tensors[kept].name = original.name + " (int8)";
    Operator dequantize;
    dequantize.kind = OpKind::kDequantize;
    dequantize.inputs = {kept};
    dequantize.outputs = {as_float};
    out.operators.insert(out.operators.begin(), dequantize);
    index = kept;
  }
  return out;
}

}  // namespace hil::model
